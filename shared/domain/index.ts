export * from './risk.js';
export * from './classifications.js';
export * from './deviceRisk.js';
export * from './lifecycle.js';
export * from './enforcement.js';
export * from './connectorSettings.js';
export * from './notificationPreferences.js';
export * from './threatSnapshot.js';
