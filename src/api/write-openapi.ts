import { OPENAPI_PATH, writeOpenApi } from './openapi-document.js';

await writeOpenApi();
console.log(`wrote ${OPENAPI_PATH}`);
