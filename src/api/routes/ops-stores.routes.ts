/**
 * Ops registry of carrier stores, their POS terminals and staff. Operators write, viewers
 * read. A terminal's secret appears once, in the 201 of its creation; no other response
 * schema here even has a field for it or for a PIN hash.
 */
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  createStaff, createStore, createTerminal, getStore, PIN_PATTERN, setTerminalStatus, STAFF_ID_PATTERN, STAFF_ROLES,
  STORE_CODE_PATTERN, TERMINAL_ID_PATTERN, TEXT_CHARS_MAX, VILLAGES_MAX,
} from '../../pos/stores.js';
import type { AppDeps } from '../app.js';
import { errorRef, opsErrors, Reason } from '../schemas.js';

const StoreCodeParam = Type.Object({ code: Type.String({ pattern: STORE_CODE_PATTERN, description: 'Store code' }) });
const TerminalIdParam = Type.Object({ id: Type.String({ pattern: TERMINAL_ID_PATTERN, description: 'Terminal id' }) });
const Text = (description: string) => Type.String({ minLength: 1, maxLength: TEXT_CHARS_MAX, description });

const TerminalView = Type.Object({
  id: Type.String(), storeCode: Type.String(), status: Type.Union([Type.Literal('active'), Type.Literal('suspended')]),
  statusReason: Type.Union([Type.String(), Type.Null()]), createdAt: Type.String(), updatedAt: Type.String(),
}, { additionalProperties: false });

const StaffView = Type.Object({
  id: Type.String(), storeCode: Type.String(), name: Type.String(),
  role: Type.Union([Type.Literal(STAFF_ROLES[0]), Type.Literal(STAFF_ROLES[1])]),
  status: Type.Union([Type.Literal('active'), Type.Literal('disabled')]), createdAt: Type.String(),
}, { additionalProperties: false });

const StoreView = Type.Object({
  code: Type.String(), name: Type.String(), region: Type.String(), county: Type.String(), villages: Type.Array(Type.String()),
  status: Type.Union([Type.Literal('active'), Type.Literal('closed')]), createdAt: Type.String(),
  terminals: Type.Array(TerminalView), staff: Type.Array(StaffView),
}, { additionalProperties: false });

const StatusChangeBody = Type.Object({ reason: Reason }, { additionalProperties: false });

export function opsStoreRoutes(deps: Pick<AppDeps, 'db' | 'auth'>): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post('/v1/ops/stores', {
      onRequest: deps.auth.require('operator'),
      schema: {
        tags: ['ops', 'stores'], summary: 'Register a carrier store as a branch, with the villages it serves',
        body: Type.Object({
          code: Type.String({ pattern: STORE_CODE_PATTERN, description: 'Carrier branch code: 3-32 of A-Z 0-9 -' }),
          name: Text('Store name'), region: Text('Region (province / prefecture)'), county: Text('County'),
          villages: Type.Array(Type.String({ minLength: 1, maxLength: 50 }), { minItems: 1, maxItems: VILLAGES_MAX, description: 'Villages the store serves' }),
        }, { additionalProperties: false }),
        response: { 201: StoreView, 409: errorRef, ...opsErrors },
      },
    }, async (request, reply) => reply.status(201).send(await createStore(deps.db, request.body)));

    app.get('/v1/ops/stores/:code', {
      onRequest: deps.auth.require('viewer'),
      schema: { tags: ['ops', 'stores'], summary: 'A store with its terminals and staff (never secrets or PINs)', params: StoreCodeParam,
        response: { 200: StoreView, 404: errorRef, ...opsErrors } },
    }, async (request) => getStore(deps.db, request.params.code));

    app.post('/v1/ops/stores/:code/terminals', {
      onRequest: deps.auth.require('operator'),
      schema: {
        tags: ['ops', 'stores'], summary: 'Add a POS terminal; its signing secret is in this response and never again', params: StoreCodeParam,
        body: Type.Object({ id: Type.Optional(Type.String({ pattern: TERMINAL_ID_PATTERN, description: 'Terminal id; generated when absent' })) },
          { additionalProperties: false }),
        response: {
          201: Type.Object({
            terminal: TerminalView,
            secret: Type.String({ description: 'base64url of 32 random bytes; load it into the terminal now, it cannot be shown again' }),
          }, { additionalProperties: false }),
          404: errorRef, 409: errorRef, ...opsErrors,
        },
      },
    }, async (request, reply) => {
      const created = await createTerminal(deps.db, request.params.code, request.body.id);
      request.log.info({ terminalId: created.terminal.id, storeCode: created.terminal.storeCode, actor: request.opsPrincipal?.actor }, 'terminal created');
      return reply.status(201).send(created);
    });

    for (const [action, status] of [['suspend', 'suspended'], ['reactivate', 'active']] as const) {
      app.post(`/v1/ops/terminals/:id/${action}`, {
        onRequest: deps.auth.require('operator'),
        schema: {
          tags: ['ops', 'stores'], params: TerminalIdParam, body: StatusChangeBody,
          summary: action === 'suspend'
            ? 'Suspend a terminal (lost, stolen, store dispute): its next request is refused and its staff sessions end'
            : 'Let a suspended terminal sign requests again; staff sign in afresh',
          response: { 200: TerminalView, 404: errorRef, 409: errorRef, ...opsErrors },
        },
      }, async (request) => {
        const terminal = await setTerminalStatus(deps.db, request.params.id, status, request.body.reason);
        request.log.info({ terminalId: terminal.id, status, actor: request.opsPrincipal?.actor }, 'terminal status changed');
        return terminal;
      });
    }

    app.post('/v1/ops/stores/:code/staff', {
      onRequest: deps.auth.require('operator'),
      schema: {
        tags: ['ops', 'stores'], summary: 'Add a clerk or manager who signs in on the store\'s terminals with a 6-digit PIN', params: StoreCodeParam,
        body: Type.Object({
          id: Type.String({ pattern: STAFF_ID_PATTERN, description: 'Employee code: a letter, then letters, digits, _ or -' }),
          name: Text('Full name'),
          role: Type.Union([Type.Literal(STAFF_ROLES[0]), Type.Literal(STAFF_ROLES[1])]),
          pin: Type.String({ pattern: PIN_PATTERN, description: 'Six digits; stored only as an argon2id hash' }),
        }, { additionalProperties: false }),
        response: { 201: StaffView, 404: errorRef, 409: errorRef, ...opsErrors },
      },
    }, async (request, reply) => {
      const staff = await createStaff(deps.db, request.params.code, request.body);
      request.log.info({ staffId: staff.id, storeCode: staff.storeCode, actor: request.opsPrincipal?.actor }, 'store staff created');
      return reply.status(201).send(staff);
    });
  };
}
