// Name rules shared by debian/control and debian/changelog (Debian Policy 5.6.1 and 5.6.7).

/** Lowercase letters, digits, `+`, `-`, `.`; at least two characters, starting with a letter or digit. */
const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+$/;

/** Architecture names and wildcards (`amd64`, `any`, `linux-any`, `all`): dpkg's own architecture alphabet. */
const ARCHITECTURE_NAME = /^[a-z0-9][a-z0-9-]*$/;

export function isValidPackageName(name: string): boolean {
  return PACKAGE_NAME.test(name);
}

export function isValidArchitectureName(name: string): boolean {
  return ARCHITECTURE_NAME.test(name);
}
