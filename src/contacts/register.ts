import { AppError } from '../errors';
import { registerGroupHandlers } from '../groups/handlers';
import { registerMessageHandlers } from '../messages/handlers';
import type { Services } from '../services';
import { registerTagHandlers } from '../tags/handlers';
import { registerContactHandlers } from './handlers';
import { loadWelcomeTemplates, WelcomeTemplates } from './welcome';
import type { CustomerDataWecom } from './wecom-port';

export interface CustomerDataOptions {
  /** Welcome templates; default: config/welcome.json (or welcomeFile). */
  welcome?: WelcomeTemplates;
  welcomeFile?: string;
}

const wired = new WeakMap<Services, CustomerDataWecom>();

/**
 * Wires the customer-data capability into a Fencun instance: handlers for every contact, group,
 * tag, app, KF and archive event, and the WeCom client the contacts-sync job uses. Call once per
 * Services (a second call is ignored).
 */
export function registerCustomerData(services: Services, wecom: CustomerDataWecom, o: CustomerDataOptions = {}): void {
  if (wired.has(services)) return;
  wired.set(services, wecom);
  const welcome = o.welcome ?? loadWelcomeTemplates(o.welcomeFile);
  registerContactHandlers(services.handlers, { wecom, welcome });
  registerGroupHandlers(services.handlers, { wecom });
  registerTagHandlers(services.handlers, { wecom });
  registerMessageHandlers(services.handlers, { wecom });
}

/** The WeCom client registered for these services (jobs reach it through here). */
export function customerDataWecom(services: Services): CustomerDataWecom {
  const wecom = wired.get(services) ?? (services as Services & { wecom?: CustomerDataWecom }).wecom;
  if (!wecom) {
    throw new AppError('CUSTOMER_DATA_NOT_WIRED',
      'the customer-data capability has no WeCom client: registerCustomerData(services, wecom) must run when services are created');
  }
  return wecom;
}
