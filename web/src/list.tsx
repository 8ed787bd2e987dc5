/**
 * The list-page skeleton in one place: `useList` owns fetch, cursor paging and live reloads;
 * `ListPage` draws breadcrumb, header, toolbar, error / loading / empty states and the table.
 */
import { useCallback, useState, type ReactNode } from 'react';
import type { Page } from './api';
import { useEvents, useSession } from './session';
import { Empty, ErrorBanner, Loading, useLoad } from './ui';

type Query = Record<string, string | number | boolean | undefined | null>;

export interface ListState<T> {
  items: T[];
  loaded: boolean;
  loading: boolean;
  error: unknown;
  hasMore: boolean;
  loadMore: () => Promise<void>;
  reload: () => void;
}

/** A cursor-paged list at `path`; reloads from the first page on any of `events`. */
export function useList<T>(
  path: string,
  query: Query = {},
  options: { events?: string[]; limit?: number } = {},
): ListState<T> {
  const { api } = useSession();
  const limit = options.limit ?? 100;
  const key = JSON.stringify(query);
  const first = useLoad(() => api.get<Page<T>>(path, { ...query, limit }), [api, path, key, limit]);
  const [more, setMore] = useState<{ items: T[]; cursor: string | null } | null>(null);
  const reloadFirst = first.reload;
  const reload = useCallback(() => {
    setMore(null);
    reloadFirst();
  }, [reloadFirst]);
  useEvents(options.events ?? [], reload);
  const cursor = more ? more.cursor : (first.data?.nextCursor ?? null);
  const loadMore = async () => {
    if (!cursor) return;
    const page = await api.get<Page<T>>(path, { ...query, limit, cursor });
    setMore((m) => ({ items: [...(m?.items ?? []), ...page.items], cursor: page.nextCursor }));
  };
  return {
    items: [...(first.data?.items ?? []), ...(more?.items ?? [])],
    loaded: first.data !== undefined,
    loading: first.loading,
    error: first.error,
    hasMore: cursor !== null,
    loadMore,
    reload,
  };
}

export interface Column<T> {
  header: string;
  cell: (row: T) => ReactNode;
  /** Screen-reader-only header (an actions column). */
  hiddenHeader?: boolean;
  className?: string;
}

/** A table of rows with a "Load more" pager. */
export function ListTable<T>({
  list,
  columns,
  rowKey,
  label,
}: {
  list: ListState<T>;
  columns: Column<T>[];
  rowKey: (row: T) => string;
  label?: string;
}) {
  const [busy, setBusy] = useState(false);
  const more = async () => {
    setBusy(true);
    try {
      await list.loadMore();
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <div className="table-wrap">
        <table className="table" aria-label={label}>
          <thead>
            <tr>
              {columns.map((c) => (
                <th scope="col" key={c.header}>
                  {c.hiddenHeader ? <span className="visually-hidden">{c.header}</span> : c.header}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {list.items.map((row) => (
              <tr key={rowKey(row)}>
                {columns.map((c) => (
                  <td key={c.header} className={c.className}>
                    {c.cell(row)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {list.hasMore ? (
        <div className="pager">
          <button
            type="button"
            className="btn btn-small"
            disabled={busy}
            onClick={() => void more()}
          >
            {busy ? 'Loading…' : 'Load more'}
          </button>
        </div>
      ) : null}
    </>
  );
}

/** A whole list screen: breadcrumb, heading with actions, intro, toolbar, states, table. */
export function ListPage<T>({
  breadcrumb,
  title,
  intro,
  actions,
  toolbar,
  list,
  columns,
  rowKey,
  emptyTitle,
  empty,
  children,
}: {
  breadcrumb: string[];
  title: string;
  intro?: ReactNode;
  actions?: ReactNode;
  toolbar?: ReactNode;
  list: ListState<T>;
  columns: Column<T>[];
  rowKey: (row: T) => string;
  emptyTitle: string;
  empty?: ReactNode;
  children?: ReactNode;
}) {
  return (
    <div className="page">
      <nav className="breadcrumb" aria-label="Breadcrumb">
        {breadcrumb.map((b) => `${b} › `).join('')}
        <span aria-current="page">{title}</span>
      </nav>
      <div className="page-header">
        <h1>{title}</h1>
        {actions ? <div className="actions">{actions}</div> : null}
      </div>
      {intro ? <p className="muted">{intro}</p> : null}
      {toolbar ? <div className="toolbar">{toolbar}</div> : null}
      {list.error ? <ErrorBanner error={list.error} onRetry={list.reload} /> : null}
      {list.loading && !list.loaded ? <Loading what={`Loading ${title.toLowerCase()}`} /> : null}
      {list.loaded && list.items.length === 0 ? <Empty title={emptyTitle}>{empty}</Empty> : null}
      {list.items.length > 0 ? (
        <ListTable list={list} columns={columns} rowKey={rowKey} label={title} />
      ) : null}
      {children}
    </div>
  );
}
