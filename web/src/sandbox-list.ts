/**
 * "The sandbox list changed": Settings announces a new sandbox and the top bar's switcher
 * reloads its list, so the new sandbox can be picked without reloading the page.
 */
import { useEffect } from 'react';

const EVENT = 'tern:sandboxes-changed';

export function announceSandboxesChanged(): void {
  window.dispatchEvent(new Event(EVENT));
}

/** Calls `onChange` whenever a screen announces a change to the sandbox list. */
export function useSandboxesChanged(onChange: () => void): void {
  useEffect(() => {
    window.addEventListener(EVENT, onChange);
    return () => window.removeEventListener(EVENT, onChange);
  }, [onChange]);
}
