// The audience's segment as rows: attribute and event conditions, lists, saved segments, AND/OR groups,
// each negatable, and raw JSON for a rule the rows cannot say. The rows keep their own text while typed;
// a rule changed elsewhere (the YAML tab) resets them.
import { useEffect, useRef, useState } from 'react';
import {
  emptyRow,
  FIELD_NAMES,
  OPERATORS,
  RawRuleError,
  rootToRule,
  ruleToRoot,
  updateRow,
  type SegKind,
  type SegRow,
} from './spec-model';

type Root = SegRow & { kind: 'group' };

const VALUE_HINTS: Partial<Record<string, string>> = {
  in: 'a, b, c',
  not_in: 'a, b, c',
  within_last: 'days',
  exists: 'true or false',
};

const KINDS: Array<[SegKind, string]> = [
  ['attribute', 'Attribute'],
  ['event', 'Event'],
  ['list', 'On a list'],
  ['segment', 'In a saved segment'],
  ['group', 'Group (AND/OR)'],
  ['raw', 'Raw rule (JSON)'],
];

export function SegmentEditor({
  rule,
  onChange,
  lists,
}: {
  rule: unknown;
  onChange: (rule: unknown) => void;
  lists: string[];
}) {
  const [root, setRoot] = useState<Root>(() => ruleToRoot(rule));
  const [rawError, setRawError] = useState<string | null>(null);
  const emitted = useRef(JSON.stringify(rule));

  useEffect(() => {
    const incoming = JSON.stringify(rule);
    if (incoming !== emitted.current) {
      emitted.current = incoming;
      setRoot(ruleToRoot(rule));
      setRawError(null);
    }
  }, [rule]);

  const edit = (at: number[], f: (row: SegRow) => SegRow | null) => {
    const next = updateRow(root, at, f) as Root;
    setRoot(next);
    try {
      const out = rootToRule(next);
      emitted.current = JSON.stringify(out);
      setRawError(null);
      onChange(out);
    } catch (e) {
      if (!(e instanceof RawRuleError)) throw e;
      setRawError(e.message);
    }
  };

  return (
    <div className="segment-editor">
      <datalist id="segment-fields">
        {FIELD_NAMES.map((f) => (
          <option key={f} value={f} />
        ))}
        <option value="attributes." />
      </datalist>
      <datalist id="segment-lists">
        {lists.map((l) => (
          <option key={l} value={l} />
        ))}
      </datalist>
      <Group row={root} at={[]} name="Segment rules" edit={edit} top />
      {rawError && (
        <p className="field-error" role="status">
          Not applied: {rawError}
        </p>
      )}
    </div>
  );
}

function Group({
  row,
  at,
  name,
  edit,
  top = false,
}: {
  row: SegRow & { kind: 'group' };
  at: number[];
  name: string;
  edit: (at: number[], f: (row: SegRow) => SegRow | null) => void;
  top?: boolean;
}) {
  const id = `seg-${at.join('-') || 'root'}`;
  const add = (kind: SegKind) =>
    edit(at, (r) => (r.kind === 'group' ? { ...r, children: [...r.children, emptyRow(kind)] } : r));
  return (
    <div role="group" aria-label={name} className={top ? 'seg-group seg-root' : 'seg-group'}>
      <div className="seg-line">
        <label htmlFor={`${id}-join`}>{top ? 'Contacts matching' : 'Match'}</label>
        <select
          id={`${id}-join`}
          value={row.join}
          onChange={(e) => edit(at, (r) => ({ ...r, join: e.target.value as 'all' | 'any' }))}
        >
          <option value="all">all of (AND)</option>
          <option value="any">any of (OR)</option>
        </select>
        {row.children.length === 0 && <span className="muted small">no condition yet</span>}
      </div>
      <ol className="seg-children">
        {row.children.map((child, i) => (
          <li key={i}>
            <Row
              row={child}
              at={[...at, i]}
              name={top ? `Condition ${i + 1}` : `${name}.${i + 1}`}
              edit={edit}
            />
          </li>
        ))}
      </ol>
      <div className="actions">
        <button type="button" onClick={() => add('attribute')}>
          Add condition
        </button>
        <button type="button" onClick={() => add('group')}>
          Add group
        </button>
      </div>
    </div>
  );
}

function Row({
  row,
  at,
  name,
  edit,
}: {
  row: SegRow;
  at: number[];
  name: string;
  edit: (at: number[], f: (row: SegRow) => SegRow | null) => void;
}) {
  const id = `seg-${at.join('-')}`;
  const set = (patch: Partial<SegRow>) => edit(at, (r) => ({ ...r, ...patch }) as SegRow);
  return (
    <div role="group" aria-label={name} className="seg-row">
      <div className="seg-line">
        <label htmlFor={`${id}-kind`}>{name}</label>
        <select
          id={`${id}-kind`}
          value={row.kind}
          onChange={(e) => edit(at, (r) => ({ ...emptyRow(e.target.value as SegKind), negate: r.negate }))}
        >
          {KINDS.map(([k, l]) => (
            <option key={k} value={k}>
              {l}
            </option>
          ))}
        </select>
        <label className="inline">
          <input type="checkbox" checked={row.negate} onChange={(e) => set({ negate: e.target.checked })} />{' '}
          Not
        </label>
        <button
          type="button"
          className="link"
          aria-label={`Remove ${name}`}
          onClick={() => edit(at, () => null)}
        >
          Remove
        </button>
      </div>
      {row.kind === 'group' && <Group row={row} at={at} name={name} edit={edit} />}
      {row.kind === 'attribute' && (
        <div className="seg-line">
          <Input
            id={`${id}-attr`}
            label="Field"
            list="segment-fields"
            value={row.attribute}
            on={(v) => set({ attribute: v })}
          />
          <label htmlFor={`${id}-op`}>Operator</label>
          <select
            id={`${id}-op`}
            value={row.op}
            onChange={(e) => set({ op: e.target.value as typeof row.op })}
          >
            {OPERATORS.map((o) => (
              <option key={o} value={o}>
                {o.replace(/_/g, ' ')}
              </option>
            ))}
          </select>
          <Input
            id={`${id}-value`}
            label="Value"
            hint={VALUE_HINTS[row.op]}
            value={row.value}
            on={(v) => set({ value: v })}
          />
        </div>
      )}
      {row.kind === 'event' && (
        <div className="seg-line">
          <label htmlFor={`${id}-event`}>Event</label>
          <input id={`${id}-event`} value={row.event} onChange={(e) => set({ event: e.target.value })} />
          <label htmlFor={`${id}-did`}>Happened</label>
          <select
            id={`${id}-did`}
            value={row.did ? 'did' : 'did_not'}
            onChange={(e) => set({ did: e.target.value === 'did' })}
          >
            <option value="did">did</option>
            <option value="did_not">did not</option>
          </select>
          <Input
            id={`${id}-gte`}
            label="At least (times)"
            short
            value={row.countGte}
            on={(v) => set({ countGte: v })}
          />
          <Input
            id={`${id}-lte`}
            label="At most (times)"
            short
            value={row.countLte}
            on={(v) => set({ countLte: v })}
          />
          <Input
            id={`${id}-days`}
            label="In the last (days)"
            short
            value={row.withinDays}
            on={(v) => set({ withinDays: v })}
          />
          <Input
            id={`${id}-from`}
            label="Between"
            hint="2027-01-01"
            value={row.from}
            on={(v) => set({ from: v })}
          />
          <Input id={`${id}-to`} label="and" hint="2027-01-31" value={row.to} on={(v) => set({ to: v })} />
        </div>
      )}
      {row.kind === 'list' && (
        <div className="seg-line">
          <Input
            id={`${id}-list`}
            label="List"
            list="segment-lists"
            value={row.list}
            on={(v) => set({ list: v })}
          />
        </div>
      )}
      {row.kind === 'segment' && (
        <div className="seg-line">
          <Input
            id={`${id}-segment`}
            label="Saved segment"
            value={row.segment}
            on={(v) => set({ segment: v })}
          />
        </div>
      )}
      {row.kind === 'raw' && (
        <div className="seg-line">
          <label htmlFor={`${id}-raw`}>Rule (JSON)</label>
          <textarea
            id={`${id}-raw`}
            className="spec"
            rows={4}
            spellCheck={false}
            value={row.text}
            onChange={(e) => set({ text: e.target.value })}
          />
        </div>
      )}
    </div>
  );
}

/** A labelled text input of a rule row; `short` for counts. */
function Input({
  id,
  label,
  value,
  on,
  short = false,
  hint,
  list,
}: {
  id: string;
  label: string;
  value: string;
  on: (value: string) => void;
  short?: boolean;
  hint?: string;
  list?: string;
}) {
  return (
    <>
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        value={value}
        list={list}
        placeholder={hint}
        inputMode={short ? 'numeric' : undefined}
        className={short ? 'short' : undefined}
        onChange={(e) => on(e.target.value)}
      />
    </>
  );
}
