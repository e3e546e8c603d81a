// Refusals that are the web UI's own (the API's are KilnErrors): shown as an error page with this status.
export class UiError extends Error {
  constructor(readonly status: 401 | 403, readonly code: 'SIGN_IN_REQUIRED' | 'FORM_REFUSED', message: string) {
    super(message);
    this.name = 'UiError';
  }
}

export function formRefused(message: string): UiError {
  return new UiError(403, 'FORM_REFUSED', message);
}

export function signInRequired(message = 'sign in with an API token first'): UiError {
  return new UiError(401, 'SIGN_IN_REQUIRED', message);
}
