import { passwordProblems, POLICY_MESSAGES } from './password-policy';

const msgs = (pw: string, email = 'user@example.com') => passwordProblems(pw, email).map((p) => p.msg);

describe('password policy', () => {
  it("accepts the guide's example password and other reasonable ones", () => {
    expect(passwordProblems('SecurePass123!', 'user@example.com')).toEqual([]);
    expect(msgs('correct horse battery staple')).toEqual([]);
    expect(msgs('Filling-Line-7-Night')).toEqual([]);
  });

  it('refuses short passwords, naming the minimum', () => {
    expect(msgs('Ab3$xyz')).toContain(POLICY_MESSAGES.length);
    expect(POLICY_MESSAGES.length).toBe('Password must be at least 10 characters');
  });

  it('refuses the most used passwords, in any case, also with digits or symbols appended', () => {
    expect(msgs('12345678')).toEqual(
      expect.arrayContaining([POLICY_MESSAGES.length, POLICY_MESSAGES.common]),
    );
    expect(msgs('1234567890')).toEqual([POLICY_MESSAGES.common]);
    expect(msgs('QwertyUIOP')).toEqual([POLICY_MESSAGES.common]);
    expect(msgs('Password2024!')).toEqual([POLICY_MESSAGES.commonWithSuffix]);
    expect(msgs('iloveyou!!!!')).toEqual([POLICY_MESSAGES.commonWithSuffix]);
  });

  it('refuses passwords containing the e-mail address or its name part', () => {
    expect(msgs('jane.doe@example.com', 'Jane.Doe@Example.com')).toContain(POLICY_MESSAGES.email);
    expect(msgs('xxJANE.DOE2024', 'jane.doe@example.com')).toEqual([POLICY_MESSAGES.email]);
    // a very short name part is not a meaningful match
    expect(msgs('Bob-likes-trains', 'bo@example.com')).toEqual([]);
  });

  it('refuses passwords of fewer than 4 different characters', () => {
    expect(msgs('abababababab')).toEqual([POLICY_MESSAGES.distinct]);
  });

  it('reports every failed rule as a 422 detail item on body.password', () => {
    expect(passwordProblems('aaa', 'a@example.com')).toEqual([
      { loc: ['body', 'password'], msg: POLICY_MESSAGES.length, type: 'value_error.password_policy' },
      { loc: ['body', 'password'], msg: POLICY_MESSAGES.distinct, type: 'value_error.password_policy' },
    ]);
  });
});
