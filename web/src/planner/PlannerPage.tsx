// The campaign planner: the campaign spec as a form (goal, audience with a live size, channels, sequence
// with content previews, window, priority, budget, holdout) and as YAML, kept in step. The guardrails run
// as it is edited; the API's field errors show beside their fields; Launch says why it is disabled.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { api, ApiError, type Campaign, type Finding } from '../api';
import { Findings } from '../components/Progress';
import { ForecastView } from '../components/ForecastView';
import { Link, navigate } from '../router';
import { AudiencePreview } from './AudiencePreview';
import {
  NumberField,
  SelectField,
  SpecContext,
  TextField,
  FieldErrors,
  fieldId,
  useSpec,
  type SpecBinding,
} from './fields';
import type { AudiencePreview as Preview } from './planner-api';
import { SegmentEditor } from './SegmentEditor';
import { StepsEditor, type PreviewContact } from './StepsEditor';
import {
  ATTRIBUTION_MODELS,
  CHANNELS,
  GOAL_METRICS,
  OBJECTIVES,
  getIn,
  issuesByPath,
  excludeText,
  launchBlocker,
  parseExclude,
  previewBody,
  setIn,
  type Path,
  type Spec,
} from './spec-model';
import { YamlTab } from './YamlTab';
import './planner.css';

const NEW_SPEC: Spec = {
  id: '',
  name: '',
  objective: 'leads',
  channels: ['email'],
  sequence: [],
};

const slugify = (s: string): string =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63);

const ZONES: string[] = (() => {
  try {
    return (Intl as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.('timeZone') ?? [];
  } catch {
    return [];
  }
})();

export function PlannerPage({ id }: { id?: string }) {
  const [spec, setSpec] = useState<Spec>(NEW_SPEC);
  const [saved, setSaved] = useState<Campaign | null>(null);
  const [savedJson, setSavedJson] = useState<string | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [tab, setTab] = useState<'form' | 'yaml'>('form');
  const [findings, setFindings] = useState<Finding[] | null>(null);
  const [lintIssues, setLintIssues] = useState<Array<{ path: string; message: string }>>([]);
  const [checking, setChecking] = useState(false);
  const [actionError, setActionError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const [lists, setLists] = useState<string[]>([]);
  const [sample, setSample] = useState<PreviewContact[]>([]);
  const [savedSegment, setSavedSegment] = useState(false);

  useEffect(() => {
    api.listLists().then(
      (l) => setLists(l.map((x) => x.name)),
      () => undefined,
    );
  }, []);

  useEffect(() => {
    if (!id) return;
    api.getCampaign(id).then(
      (c) => {
        const s = c.spec as unknown as Spec;
        setSpec(s);
        setSaved(c);
        setSavedJson(JSON.stringify(s));
      },
      (e: unknown) => setLoadError(e instanceof Error ? e.message : String(e)),
    );
  }, [id]);

  const set = useCallback(
    (path: Path, value: unknown) => {
      setSpec((s) => {
        // A new campaign's id follows its name until the id is typed.
        if (path.length === 1 && path[0] === 'name' && typeof value === 'string' && !saved) {
          const auto = !s.id || s.id === slugify(typeof s.name === 'string' ? s.name : '');
          const next = setIn(s, path, value);
          return auto ? setIn(next, ['id'], slugify(value)) : next;
        }
        return setIn(s, path, value);
      });
    },
    [saved],
  );

  // The guardrails follow the spec (a pause of 0.7 s): schema errors by field, or the findings.
  const specJson = JSON.stringify(spec);
  useEffect(() => {
    // A refused save or launch spoke of the spec as it was; the check below speaks of this one.
    setActionError(null);
    let current = true;
    setChecking(true);
    const timer = setTimeout(() => {
      api.lintSpec(JSON.parse(specJson) as unknown).then(
        (r) => {
          if (!current) return;
          setFindings(r.findings);
          setLintIssues([]);
          setChecking(false);
        },
        (e: unknown) => {
          if (!current) return;
          setChecking(false);
          setFindings(null);
          setLintIssues(
            e instanceof ApiError && e.issues.length
              ? e.issues
              : [{ path: '', message: e instanceof Error ? e.message : String(e) }],
          );
        },
      );
    }, 700);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [specJson]);

  const issues = useMemo(() => [...lintIssues, ...(actionError?.issues ?? [])], [lintIssues, actionError]);
  const errors = useMemo(() => issuesByPath(issues), [issues]);
  const byPath = useMemo(() => {
    const m = new Map<string, Finding[]>();
    for (const f of findings ?? []) m.set(f.path, [...(m.get(f.path) ?? []), f]);
    return m;
  }, [findings]);
  const binding: SpecBinding = useMemo(
    () => ({ spec, set, errors, findings: byPath }),
    [spec, set, errors, byPath],
  );
  const blocking = findings?.filter((f) => f.severity === 'blocking') ?? null;
  const blocker = launchBlocker({ fieldErrors: lintIssues.length, blocking, checking });
  const dirty = savedJson !== specJson;

  const save = async (): Promise<Campaign | null> => {
    setActionError(null);
    try {
      const c = saved ? await api.updateCampaign(saved.id, spec) : await api.createCampaign(spec);
      setSaved(c);
      setSavedJson(specJson);
      if (!saved) navigate(`/campaigns/${encodeURIComponent(c.id)}/plan`, { replace: true });
      return c;
    } catch (e) {
      setActionError(e instanceof ApiError ? e : new ApiError(0, 'error', String(e)));
      return null;
    }
  };

  const run = async (action: 'save' | 'launch') => {
    setBusy(true);
    try {
      const c = dirty || !saved ? await save() : saved;
      if (!c || action === 'save') return;
      try {
        await api.launch(c.id);
        navigate(`/campaigns/${encodeURIComponent(c.id)}`);
      } catch (e) {
        setActionError(e instanceof ApiError ? e : new ApiError(0, 'error', String(e)));
      }
    } finally {
      setBusy(false);
    }
  };

  const onSample = useCallback((p: Preview | null) => {
    setSample(
      (p?.sample ?? []).map((c) => ({
        id: c.id,
        label: [c.first_name, c.last_name].filter(Boolean).join(' ') || c.email || c.id,
      })),
    );
  }, []);

  if (loadError)
    return (
      <p role="alert" className="error">
        {loadError}
      </p>
    );
  if (id && !saved) return <p className="muted">Loading the campaign…</p>;
  if (saved && saved.status !== 'draft') {
    return (
      <section>
        <h1>{saved.name}</h1>
        <p>
          This campaign is {saved.status}: the planner edits drafts.{' '}
          <Link href={`/campaigns/${encodeURIComponent(saved.id)}`}>Open its page</Link>.
        </p>
      </section>
    );
  }

  const audience = (getIn(spec, ['audience']) ?? {}) as Spec;
  const usesSaved = savedSegment || typeof audience.segment_id === 'string';
  const channels = Array.isArray(spec.channels) ? (spec.channels as string[]) : [];
  const hasGoal = getIn(spec, ['goal']) !== undefined;

  return (
    <SpecContext.Provider value={binding}>
      <section className="planner">
        <p className="crumbs">
          <Link href="/campaigns">Campaigns</Link> / {saved ? saved.id : 'new'}
        </p>
        <h1>{saved ? `Plan ${saved.name}` : 'New campaign'}</h1>
        <div role="tablist" aria-label="Edit the campaign as" className="tabs">
          {(['form', 'yaml'] as const).map((t) => (
            <button
              key={t}
              type="button"
              role="tab"
              id={`tab-${t}`}
              aria-selected={tab === t}
              aria-controls={`panel-${t}`}
              className={tab === t ? 'tab active' : 'tab'}
              onClick={() => setTab(t)}
            >
              {t === 'form' ? 'Form' : 'YAML'}
            </button>
          ))}
        </div>

        <div className="planner-body">
          <div className="planner-main">
            {tab === 'yaml' ? (
              <div role="tabpanel" id="panel-yaml" aria-labelledby="tab-yaml">
                <YamlTab spec={spec} onSpec={setSpec} />
              </div>
            ) : (
              <div role="tabpanel" id="panel-form" aria-labelledby="tab-form">
                <section aria-labelledby="p-basics" className="card">
                  <h2 id="p-basics">Campaign</h2>
                  <div className="grid">
                    <TextField path={['name']} label="Name" />
                    <TextField path={['id']} label="Id" hint="lower-case letters, digits, - and _" />
                    <SelectField path={['objective']} label="Objective" options={OBJECTIVES} />
                    <SelectField
                      path={['kind']}
                      label="Kind"
                      options={['campaign', 'always-on']}
                      empty="campaign (default)"
                    />
                    <TextField path={['owner']} label="Owner" placeholder="marketing@example.com" />
                  </div>
                </section>

                <section aria-labelledby="p-goal" className="card">
                  <h2 id="p-goal">Goal</h2>
                  <div className="grid">
                    <SelectField
                      path={['goal', 'metric']}
                      label="Goal metric"
                      options={GOAL_METRICS}
                      empty="no goal"
                      onPick={(v) =>
                        set(
                          ['goal'],
                          v ? { ...((getIn(spec, ['goal']) as Spec) ?? {}), metric: v } : undefined,
                        )
                      }
                    />
                    {hasGoal && (
                      <>
                        <TextField path={['goal', 'event']} label="Goal event" placeholder="demo_booked" />
                        <NumberField path={['goal', 'target']} label="Goal target" />
                        <NumberField path={['goal', 'lookback_days']} label="Lookback (days)" />
                        <SelectField
                          path={['goal', 'attribution']}
                          label="Attribution model"
                          options={ATTRIBUTION_MODELS}
                          empty="position based (default)"
                        />
                      </>
                    )}
                  </div>
                  <FieldErrors path={['goal']} />
                </section>

                <section aria-labelledby="p-audience" className="card">
                  <h2 id="p-audience">Audience</h2>
                  <div className="audience-layout">
                    <div>
                      <fieldset className="inline-choice">
                        <legend>Who</legend>
                        <label className="inline">
                          <input
                            type="radio"
                            name="segment-source"
                            checked={!usesSaved}
                            onChange={() => {
                              setSavedSegment(false);
                              set(['audience', 'segment_id'], undefined);
                            }}
                          />{' '}
                          Contacts matching rules
                        </label>
                        <label className="inline">
                          <input
                            type="radio"
                            name="segment-source"
                            checked={usesSaved}
                            onChange={() => {
                              setSavedSegment(true);
                              set(['audience', 'segment'], undefined);
                            }}
                          />{' '}
                          A saved segment
                        </label>
                      </fieldset>
                      {usesSaved ? (
                        <TextField path={['audience', 'segment_id']} label="Saved segment (id or name)" />
                      ) : (
                        <SegmentEditor
                          rule={audience.segment}
                          lists={lists}
                          onChange={(r) => set(['audience', 'segment'], r)}
                        />
                      )}
                      <ErrorsUnder prefix="audience.segment" />
                      <FieldErrors path={['audience']} />
                      <div className="grid">
                        <ExcludeField exclude={audience.exclude} />
                        <TextField
                          path={['audience', 'accounts', 'list']}
                          label="Only accounts on list"
                          list="segment-lists"
                        />
                        <SelectField
                          path={['audience', 'enrollment']}
                          label="Enrollment"
                          options={['snapshot', 'dynamic']}
                          empty="snapshot (default)"
                        />
                      </div>
                    </div>
                    <AudiencePreview body={previewBody(spec)} onSample={onSample} />
                  </div>
                </section>

                <section aria-labelledby="p-channels" className="card">
                  <h2 id="p-channels">Channels and sequence</h2>
                  <fieldset
                    className="inline-choice"
                    aria-describedby={errors.has('channels') ? `${fieldId(['channels'])}-error` : undefined}
                  >
                    <legend>Channels</legend>
                    {CHANNELS.map((c) => (
                      <label key={c} className="inline">
                        <input
                          type="checkbox"
                          checked={channels.includes(c)}
                          onChange={(e) =>
                            set(
                              ['channels'],
                              e.target.checked ? [...channels, c] : channels.filter((x) => x !== c),
                            )
                          }
                        />{' '}
                        {c}
                      </label>
                    ))}
                  </fieldset>
                  <ErrorsUnder prefix="channels" />
                  <StepsEditor contacts={sample} />
                </section>

                <section aria-labelledby="p-schedule" className="card">
                  <h2 id="p-schedule">Window, priority, budget and holdout</h2>
                  <div className="grid">
                    <DateTimeField path={['window', 'start']} label="Starts" />
                    <DateTimeField path={['window', 'end']} label="Ends" />
                    <TextField
                      path={['window', 'timezone']}
                      label="Time zone"
                      list="time-zones"
                      placeholder="UTC"
                    />
                    <NumberField path={['priority']} label="Priority (0–100)" />
                    <NumberField path={['budget', 'amount']} label="Budget amount" />
                    <TextField path={['budget', 'currency']} label="Budget currency" placeholder="USD" />
                    <NumberField path={['measurement', 'holdout_percent']} label="Holdout (%)" />
                  </div>
                  <FieldErrors path={['window']} />
                  <datalist id="time-zones">
                    {ZONES.map((z) => (
                      <option key={z} value={z} />
                    ))}
                  </datalist>
                </section>
              </div>
            )}
          </div>

          <aside className="planner-side" aria-labelledby="p-check">
            <h2 id="p-check">Check and launch</h2>
            {lintIssues.length > 0 && (
              <div className="error">
                <p>Fix these fields (the guardrails run when the spec is valid):</p>
                <ul aria-label="Field errors">
                  {lintIssues.map((i, k) => (
                    <li key={k}>
                      <code>{i.path.replace(/^body\.?/, '') || '(spec)'}</code> {i.message}
                    </li>
                  ))}
                </ul>
              </div>
            )}
            {findings && <Findings findings={findings} />}
            {checking && <p className="muted small">Checking…</p>}
            <div className="actions">
              <button type="button" disabled={busy} onClick={() => void run('save')}>
                {saved ? 'Save revision' : 'Save draft'}
              </button>
              <button
                type="button"
                className="primary"
                disabled={busy || blocker !== null}
                aria-describedby="launch-why"
                onClick={() => void run('launch')}
              >
                Launch
              </button>
            </div>
            <p id="launch-why" className={blocker ? 'warn' : 'muted small'}>
              {blocker ?? (dirty || !saved ? 'Launch saves the changes first.' : 'Ready to launch.')}
            </p>
            {saved && (
              <p className="muted small">
                Saved as revision {saved.revision}
                {dirty ? '; unsaved changes' : ''}.
              </p>
            )}
            {actionError && (
              <div role="alert" className="error">
                <p>{actionError.message}</p>
                {Array.isArray((actionError.details as { findings?: unknown } | undefined)?.findings) && (
                  <Findings findings={(actionError.details as { findings: Finding[] }).findings} />
                )}
              </div>
            )}
          </aside>
        </div>
        {saved && <ForecastView key={saved.revision} id={saved.id} />}
      </section>
    </SpecContext.Provider>
  );
}

/** A window bound: a date-time picker for `2027-03-01T09:00`, text for anything else (an offset). */
function DateTimeField({ path, label }: { path: Path; label: string }) {
  const v = getIn(useSpec().spec, path);
  const local = v === undefined || (typeof v === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d$/.test(v));
  return <TextField path={path} label={label} type={local ? 'datetime-local' : 'text'} />;
}

/** Errors under a path prefix that no single field shows (a segment rule, the exclude list). */
function ErrorsUnder({ prefix }: { prefix: string }) {
  const { errors } = useSpec();
  const own = [...errors].filter(([k]) => k === prefix || k.startsWith(`${prefix}.`));
  if (own.length === 0) return null;
  return (
    <ul className="field-error" aria-label={`Errors in ${prefix}`}>
      {own.map(([k, m]) => (
        <li key={k}>
          <code>{k}</code> {m.join('; ')}
        </li>
      ))}
    </ul>
  );
}

/** The exclusions as one line; the text is kept while typed (a trailing comma is the next entry coming). */
function ExcludeField({ exclude }: { exclude: unknown }) {
  const { set } = useSpec();
  const external = excludeText(exclude);
  const [text, setText] = useState(external);
  useEffect(() => {
    setText((t) => (excludeText(parseExclude(t)) === external ? t : external));
  }, [external]);
  return (
    <div className="field">
      <label htmlFor="f-audience-exclude">Exclude lists</label>
      <input
        id="f-audience-exclude"
        list="segment-lists"
        value={text}
        placeholder="customers, segment:churned"
        onChange={(e) => {
          setText(e.target.value);
          set(['audience', 'exclude'], parseExclude(e.target.value));
        }}
      />
      <ErrorsUnder prefix="audience.exclude" />
    </div>
  );
}
