/** The segment rule builder: all / any of a list of conditions, each may be negated. */
import type { Consent } from '../../api';
import {
  ATTRIBUTE_OPS,
  KINDS,
  newCondition,
  type AttributeOp,
  type Condition,
  type ConditionKind,
  type RuleModel,
} from './rule-model';

const CONSENTS: Consent[] = ['subscribed', 'unsubscribed', 'pending', 'unknown'];

/** The server's message for condition `index` (`/rule/all/2/...` → 2), if any. */
export function conditionErrors(
  details: { path?: string; message: string }[],
  combine: string,
): Map<number, string> {
  const out = new Map<number, string>();
  const prefix = new RegExp(`^/rule/${combine}/(\\d+)`);
  for (const d of details) {
    const m = d.path ? prefix.exec(d.path) : null;
    if (m?.[1] !== undefined && !out.has(Number(m[1])))
      out.set(Number(m[1]), `${d.path?.replace(m[0], '') || ''} ${d.message}`.trim());
  }
  return out;
}

export function RuleBuilder({
  model,
  onChange,
  errors,
}: {
  model: RuleModel;
  onChange: (model: RuleModel) => void;
  errors: Map<number, string>;
}) {
  const update = (index: number, next: Condition) =>
    onChange({ ...model, conditions: model.conditions.map((c, i) => (i === index ? next : c)) });
  const remove = (index: number) =>
    onChange({ ...model, conditions: model.conditions.filter((_, i) => i !== index) });
  const add = (kind: ConditionKind) =>
    onChange({ ...model, conditions: [...model.conditions, newCondition(kind)] });
  return (
    <div className="rule-group" role="group" aria-label="Rule">
      <label className="rule-checks">
        <span>Profiles matching</span>
        <select
          aria-label="Match"
          value={model.combine}
          onChange={(e) => onChange({ ...model, combine: e.target.value as 'all' | 'any' })}
        >
          <option value="all">all of these conditions</option>
          <option value="any">any of these conditions</option>
        </select>
      </label>
      {model.conditions.length === 0 ? (
        <p className="muted">No conditions: every profile in the sandbox.</p>
      ) : null}
      {model.conditions.map((c, i) => (
        <ConditionRow
          key={c.key}
          index={i}
          condition={c}
          error={errors.get(i)}
          onChange={(next) => update(i, next)}
          onRemove={() => remove(i)}
        />
      ))}
      <label className="rule-checks">
        <span>Add a condition</span>
        <select
          aria-label="Add condition"
          value=""
          onChange={(e) => e.target.value && add(e.target.value as ConditionKind)}
        >
          <option value="">Choose…</option>
          {KINDS.map((k) => (
            <option key={k.kind} value={k.kind}>
              {k.label}
            </option>
          ))}
        </select>
      </label>
    </div>
  );
}

function ConditionRow({
  index,
  condition: c,
  error,
  onChange,
  onRemove,
}: {
  index: number;
  condition: Condition;
  error: string | undefined;
  onChange: (c: Condition) => void;
  onRemove: () => void;
}) {
  const label = `Condition ${index + 1}`;
  const errorId = `rule-${c.key}-error`;
  const text = (
    field: string,
    name: string,
    value: string,
    set: (v: string) => void,
    type: 'text' | 'number' = 'text',
  ) => (
    <label>
      <span>{name}</span>
      <input
        type={type}
        value={value}
        name={field}
        onChange={(e) => set(e.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? errorId : undefined}
      />
    </label>
  );
  return (
    <div className="rule-row" role="group" aria-label={label}>
      <label>
        <span>Condition</span>
        <select
          aria-label="Condition"
          value={c.kind}
          onChange={(e) =>
            onChange({ ...newCondition(e.target.value as ConditionKind), negate: c.negate })
          }
        >
          {KINDS.map((k) => (
            <option key={k.kind} value={k.kind}>
              {k.label}
            </option>
          ))}
        </select>
      </label>
      <label className="rule-checks">
        <input
          type="checkbox"
          checked={c.negate}
          onChange={(e) => onChange({ ...c, negate: e.target.checked })}
        />
        <span>Not</span>
      </label>
      {c.kind === 'consent' ? (
        <fieldset className="rule-checks" aria-label="Consent states">
          {CONSENTS.map((s) => (
            <label key={s} className="rule-checks">
              <input
                type="checkbox"
                checked={c.values.includes(s)}
                onChange={(e) =>
                  onChange({
                    ...c,
                    values: e.target.checked ? [...c.values, s] : c.values.filter((v) => v !== s),
                  })
                }
              />
              <span>{s}</span>
            </label>
          ))}
        </fieldset>
      ) : null}
      {c.kind === 'keyword' ? (
        <>
          {text('keyword', 'Keyword', c.keyword, (v) => onChange({ ...c, keyword: v }))}
          {text(
            'withinDays',
            'Within the last days',
            c.withinDays,
            (v) => onChange({ ...c, withinDays: v }),
            'number',
          )}
          {text(
            'atLeast',
            'At least times',
            c.atLeast,
            (v) => onChange({ ...c, atLeast: v }),
            'number',
          )}
        </>
      ) : null}
      {c.kind === 'attribute' ? (
        <>
          {text('name', 'Attribute', c.name, (v) => onChange({ ...c, name: v }))}
          <label>
            <span>Operator</span>
            <select
              aria-label="Operator"
              value={c.op}
              onChange={(e) => onChange({ ...c, op: e.target.value as AttributeOp })}
            >
              {ATTRIBUTE_OPS.map((o) => (
                <option key={o.op} value={o.op}>
                  {o.label}
                </option>
              ))}
            </select>
          </label>
          {c.op === 'exists' || c.op === 'notExists'
            ? null
            : text('value', c.op === 'in' ? 'Values (comma-separated)' : 'Value', c.value, (v) =>
                onChange({ ...c, value: v }),
              )}
        </>
      ) : null}
      {c.kind === 'lastInbound' ? (
        <>
          <label>
            <span>When</span>
            <select
              aria-label="When"
              value={c.mode}
              onChange={(e) => onChange({ ...c, mode: e.target.value as 'within' | 'before' })}
            >
              <option value="within">within the last</option>
              <option value="before">more than … ago</option>
            </select>
          </label>
          {text('days', 'Days', c.days, (v) => onChange({ ...c, days: v }), 'number')}
        </>
      ) : null}
      {c.kind === 'delivery' ? (
        <>
          <label>
            <span>Last message</span>
            <select
              aria-label="Last message"
              value={c.outcome}
              onChange={(e) =>
                onChange({ ...c, outcome: e.target.value as 'delivered' | 'failed' })
              }
            >
              <option value="delivered">delivered</option>
              <option value="failed">failed</option>
            </select>
          </label>
          {text(
            'days',
            'Within the last days',
            c.days,
            (v) => onChange({ ...c, days: v }),
            'number',
          )}
        </>
      ) : null}
      {c.kind === 'country' ? (
        <>
          {text('regions', 'Countries (ISO, comma-separated)', c.regions, (v) =>
            onChange({ ...c, regions: v }),
          )}
        </>
      ) : null}
      <button
        type="button"
        className="btn btn-small"
        aria-label={`Remove condition ${index + 1}`}
        onClick={onRemove}
      >
        Remove
      </button>
      {error ? (
        <div className="field-error rule-error" id={errorId} role="alert">
          {error}
        </div>
      ) : null}
    </div>
  );
}
