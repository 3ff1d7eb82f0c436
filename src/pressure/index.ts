export * from './types';
export { PressureConfigSchema, createPressurePolicy, tierRuleFor, type PressureConfig, type PressurePolicy } from './schema';
export { evaluate, evaluateMany } from './evaluate';
export { remainingBudget } from './budget';
export { describePressure, type PressureSummary } from './summary';
export { defaultChannel } from './prepare';
export { REASON_LABELS } from './labels';
