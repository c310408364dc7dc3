/** The service version reported by /api/health and the OpenAPI document; a test keeps it equal to package.json. */
export const serviceVersion = '0.1.0';
