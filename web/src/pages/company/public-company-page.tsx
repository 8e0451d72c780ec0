import { Link, useParams } from 'react-router';
import { isAdmin, useUser } from '@/auth/use-session';
import { Button } from '@/components/ui/button';
import { ErrorNotice, Notice, Spinner } from '@/components/ui/feedback';
import { Card, PageHeader } from '@/components/ui/layout';
import { date } from '@/lib/format';
import { COMPANY_TYPE_LABELS, countryName } from './profile-form';
import { CertificationTable } from './certifications';
import { Chips, Facts, VerificationBadge, useCategoryLabels, useCompany } from './shared';

/** /companies/:id: a company's profile as other companies see it (linked from products and quotes). */
export function PublicCompanyPage() {
  const { id } = useParams();
  const user = useUser();
  const company = useCompany(id);
  const categories = useCategoryLabels();
  const own = Boolean(id && user.companyId === id);

  if (company.isPending) {
    return (
      <div>
        <PageHeader title="Company" />
        <Spinner label="Loading the company…" />
      </div>
    );
  }
  if (company.error || !company.data) {
    return (
      <div>
        <PageHeader title="Company" />
        <ErrorNotice error={company.error} title="This company could not be loaded" onRetry={() => void company.refetch()} />
      </div>
    );
  }

  const data = company.data;
  // Members and admins get the full view with every certificate; others only those valid today.
  const insider = data.view === 'full';
  return (
    <div>
      <PageHeader
        title={data.name}
        description={`${COMPANY_TYPE_LABELS[data.type]} · ${countryName(data.country)}`}
        actions={
          own ? (
            <Button asChild variant="secondary">
              <Link to="/company">Edit your company profile</Link>
            </Button>
          ) : undefined
        }
      />
      <div className="space-y-8">
        <section aria-labelledby="about-heading" className="space-y-3">
          <h2 id="about-heading" className="text-lg font-semibold text-slate-900">
            About
          </h2>
          <Card className="space-y-4">
            <div>
              <VerificationBadge verified={data.verified} verifiedAt={data.verifiedAt} />
              <p className="mt-2 text-sm text-slate-700">
                {data.verified
                  ? `FoodXchange verified this company${data.verifiedAt ? ` on ${date(data.verifiedAt)}` : ''}.`
                  : 'FoodXchange has not verified this company yet.'}
              </p>
            </div>
            <p className="text-sm whitespace-pre-line text-slate-900">{data.description || <span className="text-slate-600">No description given.</span>}</p>
            <Facts
              items={[
                ['Country', `${countryName(data.country)} (${data.country})`],
                ['Type', COMPANY_TYPE_LABELS[data.type]],
                ['Markets served', <Chips key="markets" values={data.marketsServed} empty="None declared" />],
                ['Product categories', <Chips key="categories" values={data.categories} labels={categories.data?.labels} empty="None declared" />],
              ]}
            />
          </Card>
        </section>

        <section aria-labelledby="certifications-heading" className="space-y-3">
          <h2 id="certifications-heading" className="text-lg font-semibold text-slate-900">
            Certifications
          </h2>
          {insider ? null : <p className="text-sm text-slate-600">Only certificates valid today are shown.</p>}
          <CertificationTable
            certifications={data.certifications}
            label={`Certifications of ${data.name}`}
            emptyText={insider ? 'This company holds no certificates on FoodXchange.' : 'This company holds no certificate that is valid today.'}
          />
          {insider && isAdmin(user) ? (
            <Notice tone="info">As a platform admin you see every certificate of this company, including expired ones.</Notice>
          ) : null}
        </section>
      </div>
    </div>
  );
}
