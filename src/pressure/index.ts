export * from './types';
export { PressureConfigSchema, createPressurePolicy, tierRuleFor, MASS_QUOTAS, type MassQuota, type PressureConfig, type PressurePolicy } from './schema';
export { quotaWindow, type QuotaWindow } from './quota';
export { evaluate, evaluateMany, BatchEvaluator } from './evaluate';
export { remainingBudget } from './budget';
export { describePressure, type PressureSummary } from './summary';
export { defaultChannel, channelOfStoredTouch } from './prepare';
export { REASON_LABELS } from './labels';
