// Labelled form fields bound to a path of the spec; each shows the API's errors for its path beside it.
import { createContext, useContext, type ReactNode } from 'react';
import { getIn, numberValue, pathKey, type Path, type Spec } from './spec-model';

export interface SpecBinding {
  spec: Spec;
  /** Sets the value at a path (undefined or '' removes it). */
  set: (path: Path, value: unknown) => void;
  /** The API's field errors by spec path. */
  errors: Map<string, string[]>;
  /** The guardrail findings by spec path, shown beside the field they name too. */
  findings: Map<string, Array<{ severity: string; message: string }>>;
}

export const SpecContext = createContext<SpecBinding>({
  spec: {},
  set: () => undefined,
  errors: new Map(),
  findings: new Map(),
});

export function useSpec(): SpecBinding {
  return useContext(SpecContext);
}

export const fieldId = (path: Path): string => `f-${pathKey(path).replace(/[^A-Za-z0-9_-]/g, '-')}`;

/** The errors and guardrail findings of a path, next to its field (the id lets the field point at them). */
export function FieldErrors({ path, id }: { path: Path; id?: string }) {
  const { errors, findings } = useSpec();
  const messages = errors.get(pathKey(path));
  const found = findings.get(pathKey(path));
  return (
    <>
      {messages?.length ? (
        <p id={`${id ?? fieldId(path)}-error`} className="field-error">
          {messages.join('; ')}
        </p>
      ) : null}
      {found?.map((f, i) => (
        <p key={i} className={`field-finding field-finding-${f.severity}`}>
          <strong>{f.severity}</strong> {f.message}
        </p>
      ))}
    </>
  );
}

function describedBy(errors: Map<string, string[]>, path: Path, hint?: string): string | undefined {
  const ids = [errors.get(pathKey(path))?.length ? `${fieldId(path)}-error` : '', hint ?? ''].filter(Boolean);
  return ids.length ? ids.join(' ') : undefined;
}

function Wrap({
  path,
  label,
  children,
  hint,
}: {
  path: Path;
  label: string;
  children: ReactNode;
  hint?: string;
}) {
  return (
    <div className="field">
      <label htmlFor={fieldId(path)}>{label}</label>
      {children}
      {hint && (
        <span id={`${fieldId(path)}-hint`} className="muted small">
          {hint}
        </span>
      )}
      <FieldErrors path={path} />
    </div>
  );
}

const asText = (v: unknown): string =>
  v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);

export function TextField({
  path,
  label,
  hint,
  placeholder,
  list,
  type = 'text',
  multiline = false,
}: {
  path: Path;
  label: string;
  hint?: string;
  placeholder?: string;
  list?: string;
  type?: 'text' | 'url' | 'datetime-local';
  multiline?: boolean;
}) {
  const { spec, set, errors } = useSpec();
  const value = asText(getIn(spec, path));
  const common = {
    id: fieldId(path),
    value,
    placeholder,
    'aria-invalid': errors.has(pathKey(path)) || undefined,
    'aria-describedby': describedBy(errors, path, hint ? `${fieldId(path)}-hint` : undefined),
  };
  return (
    <Wrap path={path} label={label} hint={hint}>
      {multiline ? (
        <textarea {...common} rows={4} onChange={(e) => set(path, e.target.value)} />
      ) : (
        <input {...common} type={type} list={list} onChange={(e) => set(path, e.target.value)} />
      )}
    </Wrap>
  );
}

/** A number as text: what is not a number stays in the spec as typed, and the API says why. */
export function NumberField({ path, label, hint }: { path: Path; label: string; hint?: string }) {
  const { spec, set, errors } = useSpec();
  return (
    <Wrap path={path} label={label} hint={hint}>
      <input
        id={fieldId(path)}
        inputMode="decimal"
        value={asText(getIn(spec, path))}
        aria-invalid={errors.has(pathKey(path)) || undefined}
        aria-describedby={describedBy(errors, path, hint ? `${fieldId(path)}-hint` : undefined)}
        onChange={(e) => set(path, numberValue(e.target.value))}
      />
    </Wrap>
  );
}

export function SelectField({
  path,
  label,
  options,
  empty,
  onPick,
}: {
  path: Path;
  label: string;
  options: readonly string[];
  /** The label of the no-value option; without it a value is required. */
  empty?: string;
  /** Replaces the plain set (e.g. clearing the goal clears its other fields). */
  onPick?: (value: string) => void;
}) {
  const { spec, set, errors } = useSpec();
  const value = asText(getIn(spec, path));
  return (
    <Wrap path={path} label={label}>
      <select
        id={fieldId(path)}
        value={value}
        aria-invalid={errors.has(pathKey(path)) || undefined}
        aria-describedby={describedBy(errors, path)}
        onChange={(e) => (onPick ? onPick(e.target.value) : set(path, e.target.value))}
      >
        {(empty !== undefined || !options.includes(value)) && <option value="">{empty ?? '—'}</option>}
        {options.map((o) => (
          <option key={o} value={o}>
            {o.replace(/_/g, ' ')}
          </option>
        ))}
      </select>
    </Wrap>
  );
}
