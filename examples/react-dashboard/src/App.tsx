import type { ClientOptions, SessionPayload as Session } from '@switchboard/client';
import { SwitchboardProvider, useChannel, useConnectionState, useSession } from '@switchboard/react';
import { useCallback, useMemo, useState, useSyncExternalStore } from 'react';
import { applyAvailability, applyOrders, resync } from './board';
import { readSettings, saveToken } from './config';
import { BoardStore } from './store';

/** Channels this token can follow: its company, and each of its branches (or the whole company for `*`). */
function channelsOf(session: Session): { orders: string[]; availability: string[] } {
  const company = `company:${session.user.companyId}`;
  const branches = session.user.branchIds.includes('*') ? [] : session.user.branchIds.map((id) => `branch:${id}`);
  return { orders: [company, ...branches], availability: branches.length > 0 ? branches : [company] };
}

function Badge({ label }: { label: 'orders' | 'availability' }) {
  const state = useConnectionState(label);
  return (
    <span className={`badge ${state}`} data-testid={`state-${label}`}>
      /{label} {state}
    </span>
  );
}

/** Follows one /orders channel into the board. The handler updates the store synchronously; the SDK then stores the channel's position. */
function OrdersChannel({ channel, store }: { channel: string; store: BoardStore }) {
  useChannel('orders', channel, (event) => store.update((current) => applyOrders(current, event)), {
    onResync: (reason) => store.update((current) => resync(current, 'orders', channel, reason)),
  });
  return null;
}

function AvailabilityChannel({ channel, store }: { channel: string; store: BoardStore }) {
  useChannel('availability', channel, (event) => store.update((current) => applyAvailability(current, event)), {
    onResync: (reason) => store.update((current) => resync(current, 'availability', channel, reason)),
  });
  return null;
}

function Dashboard({ session }: { session: Session }) {
  const store = useMemo(
    () => new BoardStore(`switchboard-dashboard:${session.user.companyId}:${session.user.id}`),
    [session.user.companyId, session.user.id],
  );
  const board = useSyncExternalStore(store.subscribe, store.get);
  const channels = channelsOf(session);

  const orderRows = Object.values(board.orders).sort((a, b) => b.updatedAt - a.updatedAt);
  const stockRows = Object.values(board.stock).sort((a, b) => a.sku.localeCompare(b.sku));
  const offline = Object.entries(board.offlinePrinting);
  return (
    <>
      <header>
        <h1>
          {session.user.companyId} · {session.user.branchIds.join(', ')}
        </h1>
        <Badge label="orders" />
        <Badge label="availability" />
      </header>
      {channels.orders.map((channel) => (
        <OrdersChannel key={channel} channel={channel} store={store} />
      ))}
      {channels.availability.map((channel) => (
        <AvailabilityChannel key={channel} channel={channel} store={store} />
      ))}
      {offline.length > 0 && (
        <p className="alert" data-testid="printing-alert">
          Kitchen printing offline: {offline.map(([branch, since]) => `${branch} since ${new Date(since).toLocaleTimeString()}`).join(', ')}
        </p>
      )}
      {board.notices.map((notice) => (
        <p className="notice" key={notice}>
          {notice}
        </p>
      ))}
      <main>
        <section>
          <h2>Orders</h2>
          <table data-testid="orders">
            <thead>
              <tr>
                <th>order</th>
                <th>status</th>
                <th>delivery</th>
                <th>ticket</th>
              </tr>
            </thead>
            <tbody>
              {orderRows.map((order) => (
                <tr key={order.orderId} data-order={order.orderId}>
                  <td>{order.orderId}</td>
                  <td>{order.status ?? ''}</td>
                  <td>{order.delivery ?? ''}</td>
                  <td>{order.ticket ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        <section>
          <h2>Stock</h2>
          <table data-testid="stock">
            <thead>
              <tr>
                <th>sku</th>
                <th>quantity</th>
                <th>state</th>
              </tr>
            </thead>
            <tbody>
              {stockRows.map((item) => (
                <tr key={item.sku} data-sku={item.sku}>
                  <td>{item.sku}</td>
                  <td>{item.quantity ?? ''}</td>
                  <td>
                    {!item.available
                      ? 'unavailable'
                      : item.threshold !== undefined && (item.quantity ?? 0) <= item.threshold
                        ? `low (≤ ${item.threshold})`
                        : 'ok'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </main>
    </>
  );
}

function Login({ onToken, error }: { onToken: (token: string) => void; error: string | undefined }) {
  const [token, setToken] = useState('');
  return (
    <form
      className="login"
      onSubmit={(event) => {
        event.preventDefault();
        onToken(token.trim());
      }}
    >
      <h1>Switchboard dashboard</h1>
      <p>
        Paste a staff token (<code>npm run -s token -- --company acme --branch b1 --role staff</code>).
      </p>
      <textarea id="token" value={token} onChange={(event) => setToken(event.target.value)} rows={4} />
      <button id="connect" type="submit" disabled={token.trim().length === 0}>
        Connect
      </button>
      {error && <p className="error">{error}</p>}
    </form>
  );
}

export function App() {
  const [settings, setSettings] = useState(readSettings);
  const [error, setError] = useState<string>();
  const report = useCallback((message: string) => setError(message), []);
  if (!settings.token) {
    return (
      <Login
        error={error}
        onToken={(token) => {
          saveToken(token);
          setSettings({ ...settings, token });
        }}
      />
    );
  }
  return <Connected server={settings.server} token={settings.token} onError={report} error={error} />;
}

function Connected({
  server,
  token,
  onError,
  error,
}: {
  server: string;
  token: string;
  onError: (message: string) => void;
  error: string | undefined;
}) {
  const options = useMemo<ClientOptions>(
    () => ({
      url: server,
      token,
      onError: (failure, context) =>
        onError(`/${context.namespace}${context.channel ? ` ${context.channel}` : ''}: ${failure.code} ${failure.message}`),
    }),
    [server, token, onError],
  );
  return (
    <SwitchboardProvider options={options}>
      <Session server={server} error={error} />
    </SwitchboardProvider>
  );
}

function Session({ server, error }: { server: string; error: string | undefined }) {
  const session = useSession('orders');
  if (!session) return <p className="connecting">{error ?? `connecting to ${server}…`}</p>;
  return (
    <>
      <Dashboard session={session} />
      {error && (
        <p className="error" data-testid="error">
          {error}
        </p>
      )}
    </>
  );
}
