import { useEffect, useState } from 'react';

/** Hash routes (`#/schedule/5`), so the gateway serves one index.html for the whole console. */
export function useRoute(): string[] {
  const read = () => location.hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const on = () => setRoute(read());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

export const go = (path: string): void => {
  location.hash = `#/${path}`;
};
