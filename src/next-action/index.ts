export * from './types';
export { NextActionConfigSchema, type NextActionConfig, type ActionTemplate } from './schema';
export { nextBestAction } from './recommend';
export { pressureVerdicts } from './pressure-verdicts';
