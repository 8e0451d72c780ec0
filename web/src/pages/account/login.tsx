import { useState, type FormEvent } from 'react';
import { Link, Navigate, useNavigate, useSearchParams } from 'react-router';
import { useMutation } from '@tanstack/react-query';
import { signIn, verifyMfa } from '@/auth/actions';
import { useSession } from '@/auth/use-session';
import { fieldErrors } from '@/api/errors';
import { Button } from '@/components/ui/button';
import { ErrorNotice, Notice } from '@/components/ui/feedback';
import { Field, Input } from '@/components/ui/field';
import { Card } from '@/components/ui/layout';
import { homeOf } from '@/layout/nav';

/** Only paths inside the console: `next` must not send a signed-in user to another site. */
function safeNext(next: string | null): string | undefined {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : undefined;
}

export function AuthFrame({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <main id="main" className="flex min-h-screen items-center justify-center px-4 py-10">
      <div className="w-full max-w-md space-y-6">
        <p className="text-center text-xl font-semibold text-emerald-800">FoodXchange</p>
        <Card>
          <h1 className="mb-4 text-xl font-semibold">{title}</h1>
          {children}
        </Card>
      </div>
    </main>
  );
}

export function LoginPage() {
  const state = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [challenge, setChallenge] = useState<string | undefined>();
  const [code, setCode] = useState('');
  const next = safeNext(params.get('next'));

  const login = useMutation({
    mutationFn: () => signIn(email.trim(), password),
    onSuccess: (result) => (result.kind === 'mfa' ? setChallenge(result.challengeToken) : undefined),
  });
  const mfa = useMutation({ mutationFn: () => verifyMfa(challenge!, code) });

  if (state.status === 'signedIn') return <Navigate to={next ?? homeOf(state.user.role)} replace />;

  if (challenge) {
    return (
      <AuthFrame title="Two-factor sign-in">
        <form
          className="space-y-4"
          onSubmit={(event: FormEvent) => {
            event.preventDefault();
            mfa.mutate(undefined, { onSuccess: () => navigate(next ?? '/', { replace: true }) });
          }}
        >
          <p className="text-sm text-slate-700">Enter the 6-digit code from your authenticator app, or one of your recovery codes.</p>
          <Field label="Authentication code" errors={fieldErrors(mfa.error).code}>
            {(props) => <Input {...props} value={code} onChange={(e) => setCode(e.target.value)} autoComplete="one-time-code" inputMode="numeric" autoFocus required />}
          </Field>
          {mfa.error && !fieldErrors(mfa.error).code ? <ErrorNotice error={mfa.error} title="The code was not accepted" /> : null}
          <Button type="submit" className="w-full" busy={mfa.isPending}>
            Verify
          </Button>
          <Button type="button" variant="link" onClick={() => { setChallenge(undefined); setCode(''); mfa.reset(); }}>
            Use another account
          </Button>
        </form>
      </AuthFrame>
    );
  }

  const errors = fieldErrors(login.error);
  return (
    <AuthFrame title="Sign in">
      {state.status === 'signedOut' && state.reason ? <div className="mb-4"><Notice>{state.reason}</Notice></div> : null}
      <form
        className="space-y-4"
        onSubmit={(event: FormEvent) => {
          event.preventDefault();
          login.mutate();
        }}
      >
        <Field label="E-mail" errors={errors.email}>
          {(props) => <Input {...props} type="email" value={email} onChange={(e) => setEmail(e.target.value)} autoComplete="username" required />}
        </Field>
        <Field label="Password" errors={errors.password}>
          {(props) => <Input {...props} type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="current-password" required />}
        </Field>
        {login.error && Object.keys(errors).length === 0 ? <ErrorNotice error={login.error} title="Sign-in failed" /> : null}
        <Button type="submit" className="w-full" busy={login.isPending}>
          Sign in
        </Button>
      </form>
      <p className="mt-4 text-center text-sm text-slate-700">
        New to FoodXchange? <Link to="/register" className="font-medium text-emerald-800 underline">Create an account</Link>
      </p>
    </AuthFrame>
  );
}
