export { SqliteResultStore, openResultStore } from './sqlite-store.js';
export { SCHEMA_VERSION, CREATE_CELLS, type CellRow } from './schema.js';
