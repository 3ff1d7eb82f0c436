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

interface Wiring {
  wecom: CustomerDataWecom;
  welcome: WelcomeTemplates;
}

const wired = new WeakMap<Services, Wiring>();

/**
 * Wires the customer-data capability into a Fencun instance: handlers for every contact, group,
 * tag, app, KF and archive event, and the WeCom client the contacts-sync job uses. Handlers are
 * registered once per Services; calling again only replaces the client and templates they use
 * (handlers read them when they run), which is how tests put a spy in front of WeCom.
 */
export function registerCustomerData(services: Services, wecom: CustomerDataWecom, o: CustomerDataOptions = {}): void {
  const welcome = o.welcome ?? loadWelcomeTemplates(o.welcomeFile);
  const existing = wired.get(services);
  if (existing) {
    Object.assign(existing, { wecom, welcome });
    return;
  }
  const deps: Wiring = { wecom, welcome };
  wired.set(services, deps);
  registerContactHandlers(services.handlers, deps);
  registerGroupHandlers(services.handlers, deps);
  registerTagHandlers(services.handlers, deps);
  registerMessageHandlers(services.handlers, deps);
}

/** The WeCom client registered for these services (jobs reach it through here). */
export function customerDataWecom(services: Services): CustomerDataWecom {
  const wecom = wired.get(services)?.wecom ?? (services as Services & { wecom?: CustomerDataWecom }).wecom;
  if (!wecom) {
    throw new AppError('CUSTOMER_DATA_NOT_WIRED',
      'the customer-data capability has no WeCom client: registerCustomerData(services, wecom) must run when services are created');
  }
  return wecom;
}
