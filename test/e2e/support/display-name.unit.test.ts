import { describe, expect, it } from 'vitest';
import { displayNameFor } from './display-name.ts';

describe('e2e account names', () => {
  it('names an account after its address, leaving out the random part', () => {
    expect(displayNameFor('barbara.liskov.3f9c01ab@example.com')).toBe('Barbara Liskov');
    expect(displayNameFor('tim.berners-lee.abcdef12@example.com')).toBe('Tim Berners-Lee');
    expect(displayNameFor('ada.lovelace.deadbeef@example.com')).toBe('Ada Lovelace');
    expect(displayNameFor('12345678@example.com')).toBe('Test Person');
  });
});
