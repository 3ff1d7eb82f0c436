import { loadDatabaseConfig } from './src/config';
import { createDataSource } from './src/db/data-source';

/**
 * The data source for TypeORM's own CLI (e.g. `npx typeorm-ts-node-commonjs migration:show -d ormconfig.ts`).
 * Fencun itself applies migrations with `npx fencun migrate` or at `npm start`, under a lock.
 */
export default createDataSource(loadDatabaseConfig());
