import type { EntitySchema } from 'typeorm';

/**
 * Entity schemas registered with the data source. Fencun mostly speaks SQL through named
 * repository queries; entities are added here as capabilities need them.
 */
export const entities: EntitySchema[] = [];
