import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { parseLotsCsv } from '@fillsched/lots-csv';
import { ApiError, type Strategy, type Template, type ValidationReport } from '../api';
import { go } from '../router';
import { rowOf } from '../validation';
import { ErrorNote } from './common';
import type { Services } from './services';

/** A problem of one lot row: `row` is the CSV line (header = 1), null when not tied to a row. */
export interface RowIssue {
  row: number | null;
  level: 'error' | 'warning';
  text: string;
}

const DEFAULT_COMPARE = ['smart-pack', 'lpt-pack', 'spt-pack'];

export function NewRunView({ services, mode }: { services: Services; mode: 'schedule' | 'comparison' }) {
  const { api } = services;
  const [name, setName] = useState('');
  const [csv, setCsv] = useState('');
  const [fileName, setFileName] = useState<string | null>(null);
  const [strategies, setStrategies] = useState<Strategy[]>([]);
  const [strategy, setStrategy] = useState('smart-pack');
  const [chosen, setChosen] = useState<string[]>(DEFAULT_COMPARE);
  const [templates, setTemplates] = useState<Template[]>([]);
  const [templateId, setTemplateId] = useState<string>('');
  const [settings, setSettings] = useState({
    line_count: '',
    changeover_time: '',
    window_hours: '',
    clean_hours: '',
  });
  const [startTime, setStartTime] = useState('');
  const [timeLimit, setTimeLimit] = useState('');
  const [issues, setIssues] = useState<RowIssue[] | null>(null);
  const [validated, setValidated] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    void api.get<{ strategies: Strategy[] }>('/strategies').then(
      (r) => setStrategies(r.strategies),
      () => undefined,
    );
    void api.get<{ configs: Template[] }>('/configs?page_size=100').then(
      (r) => {
        setTemplates(r.configs);
        const def = r.configs.find((t) => t.is_default);
        if (def) setTemplateId(String(def.id));
      },
      () => undefined,
    );
  }, [api]);

  const parsed = useMemo(() => (csv.trim() ? parseLotsCsv(csv) : null), [csv]);
  const config = useMemo(() => {
    const c: Record<string, number> = {};
    for (const [k, v] of Object.entries(settings)) if (v.trim() !== '') c[k] = Number(v);
    return c;
  }, [settings]);

  const onFile = async (file: File | undefined) => {
    if (!file) return;
    setFileName(file.name);
    setCsv(await file.text());
    if (!name) setName(file.name.replace(/\.csv$/i, ''));
    setIssues(null);
    setValidated(null);
  };

  /** CSV problems first (the file itself), then the server's validation of the lots. */
  const validate = async (): Promise<boolean> => {
    setError(null);
    if (!parsed) {
      setError('Upload a CSV file or paste lot rows first');
      return false;
    }
    const csvIssues: RowIssue[] = parsed.errors.map((e) => ({
      row: typeof e.loc[1] === 'number' ? e.loc[1] : null,
      level: 'error',
      text: `${e.loc.slice(2).join(' ') || 'row'}: ${e.msg}`,
    }));
    if (csvIssues.length > 0 || parsed.lots.length === 0) {
      setIssues(csvIssues.length ? csvIssues : [{ row: null, level: 'error', text: 'no lot rows' }]);
      setValidated(null);
      return false;
    }
    const report = await api.post<ValidationReport>('/schedule/validate', {
      lots_data: parsed.lots,
      ...(Object.keys(config).length ? { config } : {}),
      ...(startTime ? { start_time: startTime } : {}),
    });
    const ids = parsed.lots.map((l) => l.lot_id);
    const found: RowIssue[] = [
      ...report.errors.map((text) => ({ row: rowOf(text, ids), level: 'error' as const, text })),
      ...report.warnings.map((text) => ({ row: rowOf(text, ids), level: 'warning' as const, text })),
    ];
    setIssues(found);
    setValidated(report.valid ? `${parsed.lots.length} lots are valid` : null);
    return report.valid;
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    try {
      if (!(await validate()) || !parsed) return;
      const body = {
        name: name.trim() || fileName || 'Untitled',
        lots_data: parsed.lots,
        ...(templateId ? { config_id: Number(templateId) } : {}),
        ...(Object.keys(config).length ? { config } : {}),
        ...(startTime ? { start_time: startTime } : {}),
        ...(timeLimit ? { time_limit_s: Number(timeLimit) } : {}),
      };
      if (mode === 'schedule') {
        const created = await api.post<{ id: number }>('/schedule', { ...body, strategy });
        sessionStorage.setItem(`fillsched.lots.${created.id}`, JSON.stringify(parsed.lots));
        go(`schedule/${created.id}`);
      } else {
        const created = await api.post<{ id: number }>('/compare', { ...body, strategies: chosen });
        // Kept for drawing each strategy's Gantt later (a comparison stores KPIs, not plans).
        sessionStorage.setItem(`fillsched.compare-body.${created.id}`, JSON.stringify(body));
        go(`compare/${created.id}`);
      }
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  const title = mode === 'schedule' ? 'New schedule' : 'Compare strategies';
  const errors = issues?.filter((i) => i.level === 'error') ?? [];
  return (
    <section aria-labelledby="new-title">
      <h1 id="new-title">{title}</h1>
      <form onSubmit={(e) => void submit(e)} className="new-run">
        <fieldset>
          <legend>Lots</legend>
          <label>
            Name
            <input name="name" value={name} onChange={(e) => setName(e.target.value)} placeholder="Week 42" />
          </label>
          <label>
            CSV file (Lot ID, Type, Vials; optional priority, start_window, end_window)
            <input
              type="file"
              name="file"
              accept=".csv,text/csv"
              onChange={(e) => void onFile(e.target.files?.[0])}
            />
          </label>
          <label>
            …or paste rows
            <textarea
              name="rows"
              rows={8}
              value={csv}
              spellCheck={false}
              onChange={(e) => {
                setCsv(e.target.value);
                setIssues(null);
                setValidated(null);
              }}
              placeholder={'Lot ID,Type,Vials\nA1,VialE,100000'}
            />
          </label>
          <p className="muted" aria-live="polite">
            {parsed
              ? `${parsed.lots.length} lot rows read${parsed.errors.length ? `, ${parsed.errors.length} problems` : ''}`
              : 'No lots yet'}
          </p>
          <button
            type="button"
            className="secondary"
            onClick={() => void validate().catch((err) => setError(String(err)))}
          >
            Validate
          </button>
          {validated && (
            <p className="ok" role="status">
              {validated}
            </p>
          )}
          {issues && issues.length > 0 && (
            <table className="issues" aria-label="Validation results">
              <thead>
                <tr>
                  <th scope="col">Row</th>
                  <th scope="col">Level</th>
                  <th scope="col">Message</th>
                </tr>
              </thead>
              <tbody>
                {issues.map((i, n) => (
                  <tr key={n} className={`issue-${i.level}`} data-row={i.row ?? ''}>
                    <td>{i.row ?? '–'}</td>
                    <td>{i.level}</td>
                    <td>{i.text}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {errors.length > 0 && (
            <p className="error" role="alert">
              {errors.length} row error{errors.length > 1 ? 's' : ''}: fix them before submitting
            </p>
          )}
        </fieldset>
        <fieldset>
          <legend>{mode === 'schedule' ? 'Strategy' : 'Strategies'}</legend>
          {mode === 'schedule' ? (
            <label>
              Strategy
              <select name="strategy" value={strategy} onChange={(e) => setStrategy(e.target.value)}>
                {strategies.map((s) => (
                  <option key={s.id} value={s.id}>
                    {s.name}
                  </option>
                ))}
              </select>
            </label>
          ) : (
            <div className="checks">
              {strategies.map((s) => (
                <label key={s.id} className="check">
                  <input
                    type="checkbox"
                    name="strategies"
                    value={s.id}
                    checked={chosen.includes(s.id)}
                    onChange={(e) =>
                      setChosen(e.target.checked ? [...chosen, s.id] : chosen.filter((c) => c !== s.id))
                    }
                  />
                  {s.name}
                </label>
              ))}
            </div>
          )}
        </fieldset>
        <fieldset>
          <legend>Settings</legend>
          <label>
            Config template
            <select name="template" value={templateId} onChange={(e) => setTemplateId(e.target.value)}>
              <option value="">system default</option>
              {templates.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                  {t.is_default ? ' (default)' : ''}
                </option>
              ))}
            </select>
          </label>
          <div className="grid">
            <label>
              Lines
              <input
                name="line_count"
                type="number"
                min={1}
                value={settings.line_count}
                onChange={(e) => setSettings({ ...settings, line_count: e.target.value })}
              />
            </label>
            <label>
              Changeover (min)
              <input
                name="changeover_time"
                type="number"
                min={0}
                value={settings.changeover_time}
                onChange={(e) => setSettings({ ...settings, changeover_time: e.target.value })}
              />
            </label>
            <label>
              Cleaning window (h)
              <input
                name="window_hours"
                type="number"
                min={1}
                value={settings.window_hours}
                onChange={(e) => setSettings({ ...settings, window_hours: e.target.value })}
              />
            </label>
            <label>
              Cleaning (h)
              <input
                name="clean_hours"
                type="number"
                min={0}
                value={settings.clean_hours}
                onChange={(e) => setSettings({ ...settings, clean_hours: e.target.value })}
              />
            </label>
            <label>
              Start time
              <input
                name="start_time"
                type="datetime-local"
                value={startTime}
                onChange={(e) => setStartTime(e.target.value)}
              />
            </label>
            <label>
              Time limit (s)
              <input
                name="time_limit_s"
                type="number"
                min={1}
                max={3600}
                value={timeLimit}
                onChange={(e) => setTimeLimit(e.target.value)}
              />
            </label>
          </div>
          <p className="muted">Empty fields take the template's (or the system default) value.</p>
        </fieldset>
        <ErrorNote error={error} />
        <button type="submit" disabled={busy || (mode === 'comparison' && chosen.length < 2)}>
          {mode === 'schedule' ? 'Validate and schedule' : 'Validate and compare'}
        </button>
      </form>
    </section>
  );
}
