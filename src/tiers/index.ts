export * from './types';
export { TiersConfigSchema, type TiersConfig, type TierDefinition } from './schema';
export { scoreTier, tierForScore, tierRank, tierLabel } from './score';
export { diffTier, type TierChange, type TierSnapshot } from './diff';
export { standingPurchases } from './purchases';
