/** A download that needs the admin token or the session cookie (a link cannot send the header). */
import { ApiError, type Api } from './api';

export async function downloadFile(api: Api, path: string, fallbackName: string): Promise<void> {
  let res: Response;
  try {
    res = await fetch(`/api${path}`, { headers: api.headers(), credentials: 'same-origin' });
  } catch (error) {
    throw new ApiError(0, 'network_error', `Tern did not answer (${String(error)}).`);
  }
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as {
      error?: { code?: string; message?: string };
    } | null;
    throw new ApiError(
      res.status,
      body?.error?.code ?? 'http_error',
      body?.error?.message ?? `Tern answered ${res.status}.`,
    );
  }
  const name =
    /filename="([^"]{1,200})"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ??
    fallbackName;
  const url = URL.createObjectURL(await res.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  // Freed once the download has surely taken it (revoked at once, some browsers lose the file).
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}
