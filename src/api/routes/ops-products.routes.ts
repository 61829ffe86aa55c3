import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ProductDefinition } from '../../core/product.js';
import { parseRatePercent } from '../../core/rate.js';
import { REPAYMENT_METHODS, TERM_MONTHS_MAX } from '../../core/schedule.js';
import { changeProduct, createProduct, retireProduct } from '../../products/product-library.js';
import { listProducts } from '../../products/product-repository.js';
import type { AppDeps } from '../app.js';
import { errorRef, Fen, opsErrors, RatePercent } from '../schemas.js';
import { productView, ProductView } from './product-view.js';

const ProductFields = {
  name: Type.String({ minLength: 1, maxLength: 50 }),
  minAmountFen: Fen('Smallest principal offered'),
  maxAmountFen: Fen('Largest principal offered'),
  annualRatePercent: RatePercent('Contract interest rate'),
  termMonths: Type.Integer({ minimum: 1, maximum: TERM_MONTHS_MAX }),
  method: Type.Union(REPAYMENT_METHODS.map((m) => Type.Literal(m))),
  penaltyRatePercent: RatePercent('Penalty interest on overdue principal, charged per day at rate / 360'),
  serviceFeePercent: RatePercent('One-off service fee on the principal, due with the first installment'),
};
const ProductBody = Type.Object({ code: Type.String({ pattern: '^[A-Z][A-Z0-9]{2,15}$' }), ...ProductFields }, { additionalProperties: false });
const ProductChangeBody = Type.Object(ProductFields, { additionalProperties: false });
const CodeParam = Type.Object({ code: Type.String({ pattern: '^[A-Z][A-Z0-9]{2,15}$' }) });

type ProductInput = { code: string; name: string; minAmountFen: number; maxAmountFen: number; annualRatePercent: string | number;
  termMonths: number; method: ProductDefinition['method']; penaltyRatePercent: string | number; serviceFeePercent: string | number };

function definitionFrom(body: ProductInput): ProductDefinition {
  return {
    code: body.code, name: body.name, minAmountFen: body.minAmountFen, maxAmountFen: body.maxAmountFen,
    annualRatePpm: parseRatePercent(body.annualRatePercent, 'annualRatePercent'), termMonths: body.termMonths, method: body.method,
    penaltyRatePpm: parseRatePercent(body.penaltyRatePercent, 'penaltyRatePercent'),
    serviceFeePpm: parseRatePercent(body.serviceFeePercent, 'serviceFeePercent'),
  };
}

export function opsProductRoutes(deps: AppDeps): FastifyPluginAsyncTypebox {
  const ceiling = deps.config.annualRateCeilingPpm;
  return async (app) => {
    app.get('/v1/ops/products', {
      onRequest: deps.auth.require('viewer'),
      schema: { tags: ['ops'], summary: 'Every product version, active and retired', response: { 200: Type.Object({ products: Type.Array(ProductView) }), ...opsErrors } },
    }, async () => ({ products: (await listProducts(deps.db, false)).map(productView) }));

    app.post('/v1/ops/products', {
      onRequest: deps.auth.require('operator'),
      schema: { tags: ['ops'], summary: 'Add a product to the library', body: ProductBody, response: { 201: ProductView, 409: errorRef, ...opsErrors } },
    }, async (request, reply) => {
      const product = await createProduct(deps.db, definitionFrom(request.body), ceiling);
      return reply.status(201).send(productView(product));
    });

    app.put('/v1/ops/products/:code', {
      onRequest: deps.auth.require('operator'),
      schema: {
        tags: ['ops'], summary: 'Change a product; a version in use is retired and a new version created',
        params: CodeParam, body: ProductChangeBody,
        response: { 200: Type.Object({ product: ProductView, versioned: Type.Boolean() }), 404: errorRef, 409: errorRef, ...opsErrors },
      },
    }, async (request) => {
      const change = await changeProduct(deps.db, definitionFrom({ ...request.body, code: request.params.code }), ceiling);
      return { product: productView(change.product), versioned: change.versioned };
    });

    app.post('/v1/ops/products/:code/retire', {
      onRequest: deps.auth.require('operator'),
      schema: { tags: ['ops'], summary: 'Stop offering a product; existing loans keep it', params: CodeParam,
        response: { 200: ProductView, 404: errorRef, 409: errorRef, ...opsErrors } },
    }, async (request) => productView(await retireProduct(deps.db, request.params.code)));
  };
}
