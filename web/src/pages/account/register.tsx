import { useState, type FormEvent } from 'react';
import { Link, Navigate } from 'react-router';
import { useMutation } from '@tanstack/react-query';
import { register } from '@/auth/actions';
import { useSession } from '@/auth/use-session';
import { fieldErrors } from '@/api/errors';
import { Button } from '@/components/ui/button';
import { ErrorNotice } from '@/components/ui/feedback';
import { Field, Input, Select } from '@/components/ui/field';
import { homeOf } from '@/layout/nav';
import { AuthFrame } from './login';

export function RegisterPage() {
  const state = useSession();
  const [form, setForm] = useState({ name: '', email: '', password: '', role: 'buyer' as 'buyer' | 'supplier', companyName: '', country: '' });
  const set = (key: keyof typeof form) => (event: { target: { value: string } }) => setForm({ ...form, [key]: event.target.value });
  const mutation = useMutation({
    mutationFn: () =>
      register({
        name: form.name.trim(),
        email: form.email.trim(),
        password: form.password,
        role: form.role,
        company: { name: form.companyName.trim(), country: form.country.trim().toUpperCase() },
      }),
  });
  if (state.status === 'signedIn') return <Navigate to={homeOf(state.user.role)} replace />;
  const errors = fieldErrors(mutation.error);
  return (
    <AuthFrame title="Create your company account">
      <form
        className="space-y-4"
        onSubmit={(event: FormEvent) => {
          event.preventDefault();
          mutation.mutate();
        }}
        noValidate
      >
        <fieldset className="space-y-2">
          <legend className="text-sm font-medium text-slate-800">I am</legend>
          <div className="flex gap-4">
            {(['buyer', 'supplier'] as const).map((role) => (
              <label key={role} className="flex items-center gap-2 text-sm">
                <input type="radio" name="role" value={role} checked={form.role === role} onChange={() => setForm({ ...form, role })} />
                {role === 'buyer' ? 'a buyer (I source food)' : 'a supplier (I sell food)'}
              </label>
            ))}
          </div>
        </fieldset>
        <Field label="Your name" errors={errors.name}>
          {(props) => <Input {...props} value={form.name} onChange={set('name')} autoComplete="name" />}
        </Field>
        <Field label="Work e-mail" errors={errors.email}>
          {(props) => <Input {...props} type="email" value={form.email} onChange={set('email')} autoComplete="email" />}
        </Field>
        <Field label="Password" errors={errors.password} hint="At least 12 characters, not containing your e-mail address.">
          {(props) => <Input {...props} type="password" value={form.password} onChange={set('password')} autoComplete="new-password" />}
        </Field>
        <Field label="Company name" errors={errors['company.name'] ?? errors.company}>
          {(props) => <Input {...props} value={form.companyName} onChange={set('companyName')} autoComplete="organization" />}
        </Field>
        <Field label="Company country" errors={errors['company.country']} hint="Two-letter country code, e.g. DE, ES, US.">
          {(props) => (
            <Select {...props} value={form.country} onChange={set('country')}>
              <option value="">Choose…</option>
              {COUNTRIES.map(([code, name]) => (
                <option key={code} value={code}>
                  {name} ({code})
                </option>
              ))}
            </Select>
          )}
        </Field>
        {mutation.error && Object.keys(errors).length === 0 ? <ErrorNotice error={mutation.error} title="The account was not created" /> : null}
        <Button type="submit" className="w-full" busy={mutation.isPending}>
          Create account
        </Button>
      </form>
      <p className="mt-4 text-center text-sm text-slate-700">
        Already registered? <Link to="/login" className="font-medium text-emerald-800 underline">Sign in</Link>
      </p>
    </AuthFrame>
  );
}

const COUNTRIES: [string, string][] = [
  ['AT', 'Austria'], ['BE', 'Belgium'], ['BR', 'Brazil'], ['CA', 'Canada'], ['CH', 'Switzerland'], ['CL', 'Chile'], ['CN', 'China'],
  ['DE', 'Germany'], ['DK', 'Denmark'], ['ES', 'Spain'], ['FR', 'France'], ['GB', 'United Kingdom'], ['GR', 'Greece'], ['IE', 'Ireland'],
  ['IL', 'Israel'], ['IN', 'India'], ['IT', 'Italy'], ['JP', 'Japan'], ['MA', 'Morocco'], ['MX', 'Mexico'], ['NL', 'Netherlands'],
  ['NO', 'Norway'], ['NZ', 'New Zealand'], ['PE', 'Peru'], ['PL', 'Poland'], ['PT', 'Portugal'], ['SE', 'Sweden'], ['TH', 'Thailand'],
  ['TR', 'Turkey'], ['US', 'United States'], ['VN', 'Viet Nam'], ['ZA', 'South Africa'],
];
