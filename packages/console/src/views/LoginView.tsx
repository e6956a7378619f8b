import { useState, type FormEvent } from 'react';
import { ApiError, type ApiClient } from '../api';

export function LoginView({ api, onSignedIn }: { api: ApiClient; onSignedIn: () => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [registering, setRegistering] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (registering) await api.register(email, password);
      await api.login(email, password);
      onSignedIn();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'The server cannot be reached');
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" className="login">
      <h1>Filling Scheduler</h1>
      <form onSubmit={(e) => void submit(e)} aria-describedby={error ? 'login-error' : undefined}>
        <h2>{registering ? 'Create an account' : 'Log in'}</h2>
        <label>
          Email
          <input
            type="email"
            name="email"
            autoComplete="username"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
        </label>
        <label>
          Password
          <input
            type="password"
            name="password"
            autoComplete={registering ? 'new-password' : 'current-password'}
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        {error && (
          <p id="login-error" className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {registering ? 'Create account and log in' : 'Log in'}
        </button>
        <button type="button" className="link" onClick={() => setRegistering(!registering)}>
          {registering ? 'I have an account' : 'Create an account'}
        </button>
      </form>
    </main>
  );
}
