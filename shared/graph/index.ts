export * from './graphAccess.js';
export * from './graphError.js';
export * from './paging.js';
