import type { GenerateOptions } from '../wecom-simulator';

/** The demo corp: one seed number, always the same people. Three sales teams of eight under two regions. */
export const DEMO_CORP_SIZE: GenerateOptions = { seed: 2025, reps: 24, customers: 1_200 };
