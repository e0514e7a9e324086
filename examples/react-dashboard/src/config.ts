/** Where the server is and who we are: `?server=` (default http://localhost:3000) and the token from `#token=` or this tab. */
export interface Settings {
  readonly server: string;
  readonly token: string | undefined;
}

const TOKEN_KEY = 'switchboard-dashboard:token';

export function readSettings(): Settings {
  const server = new URLSearchParams(location.search).get('server') ?? 'http://localhost:3000';
  const fromHash = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fromHash) {
    sessionStorage.setItem(TOKEN_KEY, fromHash);
    // Out of the address bar (and out of screenshots and shared links).
    history.replaceState(null, '', location.pathname + location.search);
  }
  return { server, token: fromHash ?? sessionStorage.getItem(TOKEN_KEY) ?? undefined };
}

export function saveToken(token: string | undefined): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}
