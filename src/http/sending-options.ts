import { Type } from '@sinclair/typebox';

/** Infobip's own shape (SMS v3 and MMS v2 `options.validityPeriod`), 1 minute to 48 h. */
export const ValidityPeriodSchema = Type.Object(
  {
    amount: Type.Integer({ minimum: 1 }),
    timeUnit: Type.Union([Type.Literal('SECONDS'), Type.Literal('MINUTES'), Type.Literal('HOURS')]),
  },
  {
    additionalProperties: false,
    description:
      'How long the provider may try to deliver: 1 minute to 48 hours, e.g. {"amount": 5, "timeUnit": "MINUTES"}',
  },
);

/** India DLT ids a channel configuration or a message may set over its credential's. */
export const DltFields = {
  dltContentTemplateId: Type.Union(
    [
      Type.String({
        maxLength: 100,
        description:
          'India DLT content template id (10-30 digits) the text was registered under; SMS only',
      }),
      Type.Null(),
    ],
    { description: 'null: the next level decides (message > channel configuration > credential)' },
  ),
  dltTelemarketerId: Type.Union([
    Type.String({
      maxLength: 100,
      description: 'India DLT telemarketer id (aggregators; 1-50 letters or digits); SMS only',
    }),
    Type.Null(),
  ]),
};
