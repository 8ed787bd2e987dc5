/**
 * The edit-form controller in one place: load a resource with its ETag, keep the form state,
 * save (POST to create, PATCH with If-Match to edit), and sort the server's answer into field
 * errors, a form error or a stale-version conflict, by error code (never by HTTP status).
 */
import { useCallback, useEffect, useState } from 'react';
import { ApiError, type ErrorDetail } from './api';
import { useSession } from './session';
import { errorText } from './ui';

export interface EditForm<R, F> {
  form: F;
  set: <K extends keyof F>(key: K, value: F[K]) => void;
  setForm: (update: (form: F) => F) => void;
  /** The resource as last loaded or saved; undefined while creating or loading. */
  stored: R | undefined;
  creating: boolean;
  loading: boolean;
  loadError: unknown;
  /** The server's messages keyed by body field (first path segment). */
  errors: Record<string, string>;
  /** The server's details as sent, for forms that place them deeper than the first segment. */
  details: ErrorDetail[];
  formError: string | undefined;
  conflict: boolean;
  busy: boolean;
  save: () => Promise<R | undefined>;
  reload: () => void;
}

/** Server details keyed by the first segment of their path (`/rule/all/0` → `rule`). */
export function fieldErrors(error: unknown): Record<string, string> {
  return error instanceof ApiError ? error.fieldErrors() : {};
}

export function useEditForm<R, F>(options: {
  /** The resource (`/v1/segments/abc`) when editing; undefined when creating. */
  path: string | undefined;
  /** Where a new one is POSTed (`/v1/segments`). */
  createPath: string;
  initial: F;
  toForm: (resource: R) => F;
  toBody: (form: F, creating: boolean) => unknown;
}): EditForm<R, F> {
  const { api } = useSession();
  const { path, createPath, toForm, toBody } = options;
  const [form, setFormState] = useState<F>(options.initial);
  const [stored, setStored] = useState<R>();
  const [etag, setEtag] = useState<string | null>(null);
  const [loading, setLoading] = useState(path !== undefined);
  const [loadError, setLoadError] = useState<unknown>();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [details, setDetails] = useState<ErrorDetail[]>([]);
  const [formError, setFormError] = useState<string>();
  const [conflict, setConflict] = useState(false);
  const [busy, setBusy] = useState(false);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    if (!path) return;
    let live = true;
    setLoading(true);
    api.request<R>('GET', path).then(
      (res) => {
        if (!live) return;
        setStored(res.body);
        setEtag(res.etag);
        setFormState(toForm(res.body));
        setLoadError(undefined);
        setConflict(false);
        setLoading(false);
      },
      (err: unknown) => {
        if (!live) return;
        setLoadError(err);
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
    // toForm is the caller's pure mapping; reloading when it changes identity would loop.
  }, [api, path, tick]);

  const set = useCallback(
    <K extends keyof F>(key: K, value: F[K]) => setFormState((f) => ({ ...f, [key]: value })),
    [],
  );

  const save = async (): Promise<R | undefined> => {
    setBusy(true);
    setErrors({});
    setDetails([]);
    setFormError(undefined);
    setConflict(false);
    try {
      const creating = path === undefined;
      const res = creating
        ? await api.request<R>('POST', createPath, { body: toBody(form, true) })
        : await api.request<R>('PATCH', path, { body: toBody(form, false), ifMatch: etag });
      setStored(res.body);
      setEtag(res.etag);
      return res.body;
    } catch (err) {
      if (err instanceof ApiError && err.code === 'precondition_failed') setConflict(true);
      else {
        setErrors(fieldErrors(err));
        setDetails(err instanceof ApiError ? err.details : []);
        setFormError(errorText(err));
      }
      return undefined;
    } finally {
      setBusy(false);
    }
  };

  return {
    form,
    set,
    setForm: setFormState,
    stored,
    creating: path === undefined,
    loading,
    loadError,
    errors,
    details,
    formError,
    conflict,
    busy,
    save,
    reload: () => setTick((n) => n + 1),
  };
}
