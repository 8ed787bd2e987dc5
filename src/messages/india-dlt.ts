/**
 * India DLT ids: which registered template a text is sent under. Operators block a text whose
 * content template does not match it, so the template is chosen per message, then per channel
 * configuration, then per credential (one principal entity per business: on the credential).
 * Pure.
 */

/**
 * Entity and template ids are issued by the DLT portals as 19 digits; 10-30 leaves room.
 * (Infobip's schema bounds none of these strings.)
 */
const DLT_ID = /^\d{10,30}$/;
/** Guess: telemarketer ids seen are numeric too, but Infobip says only "string"; letters allowed. */
const TELEMARKETER_ID = /^[A-Za-z0-9]{1,50}$/;
/** The longest an id may be before its pattern is tried (the patterns above are linear anyway). */
export const DLT_FIELD_MAX = 50;

export type DltField = 'dltPrincipalEntityId' | 'dltContentTemplateId' | 'dltTelemarketerId';

/** Why `value` is not an acceptable id for `field`, or undefined. */
export function dltProblem(field: DltField, value: string): string | undefined {
  if (value.length > DLT_FIELD_MAX) return `must be at most ${DLT_FIELD_MAX} characters`;
  if (field === 'dltTelemarketerId')
    return TELEMARKETER_ID.test(value)
      ? undefined
      : 'must be 1 to 50 letters or digits, as issued by the DLT portal';
  return DLT_ID.test(value) ? undefined : 'must be 10 to 30 digits, as issued by the DLT portal';
}

/** The template and telemarketer a message is sent with; each field on its own. */
export interface DltChoice {
  dltContentTemplateId: string | null;
  dltTelemarketerId: string | null;
}

/** Message over channel configuration over credential, field by field. */
export function chooseDlt(...levels: Partial<DltChoice>[]): DltChoice {
  const pick = (key: keyof DltChoice) => {
    for (const level of levels) {
      const value = level[key];
      if (value !== undefined && value !== null) return value;
    }
    return null;
  };
  return {
    dltContentTemplateId: pick('dltContentTemplateId'),
    dltTelemarketerId: pick('dltTelemarketerId'),
  };
}
