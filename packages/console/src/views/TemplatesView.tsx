import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { ApiError, type Template, type ValidationReport } from '../api';
import { ErrorNote } from './common';
import type { Services } from './services';

const EMPTY = {
  id: 0,
  name: '',
  description: '',
  configText: '{\n  "line_count": 3,\n  "changeover_time": 30\n}',
  is_public: false,
};

/** Config templates: list, create, edit, set default, validate, delete. */
export function TemplatesView({ services }: { services: Services }) {
  const { api } = services;
  const [templates, setTemplates] = useState<Template[]>([]);
  const [form, setForm] = useState(EMPTY);
  const [report, setReport] = useState<ValidationReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);

  const load = useCallback(() => {
    api.get<{ configs: Template[] }>('/configs?page_size=100').then(
      (r) => setTemplates(r.configs),
      (e: Error) => setError(e.message),
    );
  }, [api]);
  useEffect(load, [load]);

  const parseConfig = (): Record<string, unknown> | null => {
    try {
      const v = JSON.parse(form.configText) as unknown;
      if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
      setError('The config must be a JSON object');
    } catch (e) {
      setError(`The config is not valid JSON: ${(e as Error).message}`);
    }
    return null;
  };

  const run = async (what: () => Promise<unknown>, done: string) => {
    setError(null);
    setNote(null);
    try {
      await what();
      setNote(done);
      load();
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    }
  };

  const validate = async () => {
    const config = parseConfig();
    if (!config) return;
    setError(null);
    try {
      setReport(await api.post<ValidationReport>('/config/validate', { config }));
    } catch (e) {
      setError((e as Error).message);
    }
  };

  const save = (e: FormEvent) => {
    e.preventDefault();
    const config = parseConfig();
    if (!config) return;
    const body = {
      name: form.name,
      description: form.description || null,
      config,
      is_public: form.is_public,
    };
    void run(
      () => (form.id ? api.put(`/config/${form.id}`, body) : api.post('/config', body)),
      form.id ? `Template “${form.name}” saved` : `Template “${form.name}” created`,
    ).then(() => setForm(EMPTY));
  };

  return (
    <section aria-labelledby="tpl-title">
      <h1 id="tpl-title">Config templates</h1>
      <ErrorNote error={error} />
      {note && (
        <p className="ok" role="status">
          {note}
        </p>
      )}
      <table aria-label="Config templates">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Settings</th>
            <th scope="col">Default</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {templates.map((t) => (
            <tr key={t.id} data-template-id={t.id}>
              <td>
                {t.name}
                {t.description && <div className="muted">{t.description}</div>}
              </td>
              <td>
                <code>{JSON.stringify(t.config)}</code>
              </td>
              <td>{t.is_default ? 'default' : ''}</td>
              <td className="actions">
                <button
                  type="button"
                  className="secondary"
                  onClick={() =>
                    setForm({
                      id: t.id,
                      name: t.name,
                      description: t.description ?? '',
                      configText: JSON.stringify(t.config, null, 2),
                      is_public: t.is_public,
                    })
                  }
                >
                  Edit <span className="visually-hidden">{t.name}</span>
                </button>
                {!t.is_default && (
                  <button
                    type="button"
                    className="secondary"
                    onClick={() =>
                      void run(() => api.post(`/config/${t.id}/set-default`), `“${t.name}” is the default`)
                    }
                  >
                    Set default <span className="visually-hidden">{t.name}</span>
                  </button>
                )}
                <button
                  type="button"
                  className="danger"
                  onClick={() => void run(() => api.del(`/config/${t.id}`), `“${t.name}” deleted`)}
                >
                  Delete <span className="visually-hidden">{t.name}</span>
                </button>
              </td>
            </tr>
          ))}
          {templates.length === 0 && (
            <tr>
              <td colSpan={4} className="muted">
                No templates yet.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <form onSubmit={save} className="template-form">
        <h2>{form.id ? `Edit “${form.name}”` : 'New template'}</h2>
        <label>
          Name
          <input
            name="tpl-name"
            required
            value={form.name}
            onChange={(e) => setForm({ ...form, name: e.target.value })}
          />
        </label>
        <label>
          Description
          <input
            name="tpl-description"
            value={form.description}
            onChange={(e) => setForm({ ...form, description: e.target.value })}
          />
        </label>
        <label>
          Settings (JSON)
          <textarea
            name="tpl-config"
            rows={8}
            spellCheck={false}
            value={form.configText}
            onChange={(e) => {
              setForm({ ...form, configText: e.target.value });
              setReport(null);
            }}
          />
        </label>
        <label className="check">
          <input
            type="checkbox"
            checked={form.is_public}
            onChange={(e) => setForm({ ...form, is_public: e.target.checked })}
          />
          Visible to every user
        </label>
        {report && (
          <div role="status" className={report.valid ? 'ok' : 'error'}>
            {report.valid ? 'The settings are valid.' : 'The settings are not valid:'}
            <ul>
              {report.errors.map((m) => (
                <li key={m}>{m}</li>
              ))}
              {report.warnings.map((m) => (
                <li key={m}>warning: {m}</li>
              ))}
            </ul>
          </div>
        )}
        <div className="row">
          <button type="button" className="secondary" onClick={() => void validate()}>
            Validate
          </button>
          <button type="submit">{form.id ? 'Save' : 'Create'}</button>
          {form.id !== 0 && (
            <button type="button" className="secondary" onClick={() => setForm(EMPTY)}>
              Cancel
            </button>
          )}
        </div>
      </form>
    </section>
  );
}
