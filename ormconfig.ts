import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfigOrExit } from './src/config/load-config';
import { dataSourceOptions } from './src/database/data-source-options';

/** DataSource for the TypeORM CLI: `npm run migration:generate -- src/database/migrations/Name`, `npm run migration:run`. */
export default new DataSource({
  ...dataSourceOptions(loadConfigOrExit()),
  migrations: ['src/database/migrations/*.ts'],
});
