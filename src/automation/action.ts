import { Type, type Static } from '@sinclair/typebox';

/**
 * What an automation may do to a person besides texting them: the actions of a custom keyword's
 * response and the action steps of a flow share these, and one executor (apply-action.ts).
 */

/** An attribute name: the shape segment rules and templates read (`profile.attributes.x`). */
export const ATTRIBUTE_NAME_PATTERN = '^[A-Za-z][A-Za-z0-9_]{0,63}$';
export const ATTRIBUTE_VALUE_MAX = 500;
export const WEBHOOK_NAME_MAX = 64;
/** Keys of a webhook action's `data`; each value a scalar. */
export const WEBHOOK_DATA_KEYS_MAX = 20;
export const ACTIONS_MAX = 10;

const Id = Type.String({ minLength: 1, maxLength: 100 });
const Scalar = Type.Union([
  Type.String({ maxLength: ATTRIBUTE_VALUE_MAX }),
  Type.Number(),
  Type.Boolean(),
]);

export const SetAttributeAction = Type.Object(
  {
    type: Type.Literal('set_attribute'),
    name: Type.String({ pattern: ATTRIBUTE_NAME_PATTERN, maxLength: 64 }),
    value: Scalar,
  },
  { additionalProperties: false },
);
export const ClearAttributeAction = Type.Object(
  {
    type: Type.Literal('clear_attribute'),
    name: Type.String({ pattern: ATTRIBUTE_NAME_PATTERN, maxLength: 64 }),
  },
  { additionalProperties: false },
);
export const SetConsentAction = Type.Object(
  {
    type: Type.Literal('set_consent'),
    to: Type.Union([Type.Literal('subscribed'), Type.Literal('unsubscribed')]),
  },
  { additionalProperties: false },
);
export const ListAction = Type.Object(
  {
    type: Type.Union([Type.Literal('add_to_list'), Type.Literal('remove_from_list')]),
    listId: Id,
  },
  { additionalProperties: false },
);
/** Emits a signed `flow.webhook` event: every event webhook subscribed to it receives it. */
export const WebhookAction = Type.Object(
  {
    type: Type.Literal('webhook'),
    name: Type.String({ minLength: 1, maxLength: WEBHOOK_NAME_MAX }),
    data: Type.Optional(
      Type.Record(Type.String({ maxLength: 64 }), Type.Union([Scalar, Type.Null()]), {
        maxProperties: WEBHOOK_DATA_KEYS_MAX,
      }),
    ),
  },
  { additionalProperties: false },
);
/** Only in a keyword response: starts a run of a flow for the texter. */
export const StartFlowAction = Type.Object(
  { type: Type.Literal('start_flow'), flowId: Id },
  { additionalProperties: false },
);

/** The actions a flow step may take. */
export const FlowActionSchema = Type.Union([
  SetAttributeAction,
  ClearAttributeAction,
  SetConsentAction,
  ListAction,
  WebhookAction,
]);
/** The actions a keyword response may take. */
export const ActionSchema = Type.Union([...FlowActionSchema.anyOf, StartFlowAction]);

export type FlowAction = Static<typeof FlowActionSchema>;
export type Action = Static<typeof ActionSchema>;
export type ActionType = Action['type'];

export const FLOW_ACTION_TYPES = [
  'set_attribute',
  'clear_attribute',
  'set_consent',
  'add_to_list',
  'remove_from_list',
  'webhook',
] as const satisfies readonly FlowAction['type'][];
