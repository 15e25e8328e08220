// The spec as YAML for campaign-as-code users: form edits rewrite the text; text that parses to a mapping
// replaces the spec (the form follows); text that does not parse says why and changes nothing.
import { useEffect, useRef, useState } from 'react';
import type { Spec } from './spec-model';

type YamlModule = typeof import('yaml');

export function YamlTab({ spec, onSpec }: { spec: Spec; onSpec: (s: Spec) => void }) {
  const [yaml, setYaml] = useState<YamlModule | null>(null);
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  // The JSON of the spec the text last produced: a spec equal to it came from the text, so the text stays.
  const fromText = useRef<string | null>(null);

  useEffect(() => {
    // YAML is parsed by a chunk loaded only when the tab opens.
    void import('yaml').then(setYaml);
  }, []);

  useEffect(() => {
    if (!yaml) return;
    if (fromText.current === JSON.stringify(spec)) return;
    setText(yaml.stringify(spec, { lineWidth: 110 }));
    setError(null);
  }, [yaml, spec]);

  const edit = (t: string) => {
    setText(t);
    if (!yaml) return;
    try {
      const parsed: unknown = yaml.parse(t);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        setError('the spec must be a mapping (id:, name:, …)');
        return;
      }
      setError(null);
      fromText.current = JSON.stringify(parsed);
      onSpec(parsed as Spec);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };

  return (
    <>
      <p className="muted">
        The same campaign as a file (as <code>baton apply</code> reads it). Edits here update the form when
        the text is valid YAML.
      </p>
      <label htmlFor="spec">Campaign spec (YAML)</label>
      <textarea
        id="spec"
        className="spec"
        rows={28}
        spellCheck={false}
        value={yaml ? text : 'Loading…'}
        readOnly={!yaml}
        aria-describedby={error ? 'spec-error' : undefined}
        onChange={(e) => edit(e.target.value)}
      />
      {error && (
        <p id="spec-error" className="field-error">
          Not applied: {error}
        </p>
      )}
    </>
  );
}
