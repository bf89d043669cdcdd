/**
 * A person's name from an address like `barbara.liskov.3f9c01ab@example.com` ("Barbara Liskov"):
 * the parts of the local part made of letters only, capitalised. Tests give each account a name
 * of its own, so member lists and account menus in screenshots say who is who.
 */
export function displayNameFor(email: string): string {
  const words = (email.split('@')[0] ?? '')
    .split('.')
    .filter((part) => /^[a-z]+(?:-[a-z]+)*$/i.test(part) && !/^[a-f]{8}$/i.test(part));
  const name = words.map((word) => word.replace(/(^|-)([a-z])/g, (match) => match.toUpperCase())).join(' ');
  return name || 'Test Person';
}
