export * from './types';
export { lifecycleStage } from './stage';
export { rankChurnRisk, type ChurnCandidate, type ChurnRiskEntry, type RepChurnList, type ChurnRankingOptions } from './churn-ranking';
