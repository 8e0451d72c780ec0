import { useEffect, useState } from 'react';
import { Link, NavLink, Outlet, useNavigate } from 'react-router';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import * as Dialog from '@radix-ui/react-dialog';
import * as Menu from '@radix-ui/react-dropdown-menu';
import { Bell, Menu as MenuIcon, UserRound, X } from 'lucide-react';
import { api, unwrapPage } from '@/api/client';
import { signOut, signOutEverywhere } from '@/auth/actions';
import { useUser } from '@/auth/use-session';
import { openNotificationStream, consolePathOf, type StreamedNotification } from '@/notifications/stream';
import { Button } from '@/components/ui/button';
import { cn } from '@/lib/cn';
import { label } from '@/lib/format';
import { navFor } from './nav';

export const unreadQueryKey = ['notifications', 'unread-count'] as const;

function useUnreadCount() {
  return useQuery({
    queryKey: unreadQueryKey,
    queryFn: async () => unwrapPage(await api.GET('/api/v1/notifications/', { params: { query: { page: 1, limit: 1 } } })).unreadCount,
  });
}

/** Opens the live stream for the whole signed-in session; new notifications update the badge. */
function useLiveNotifications(onArrival: (notification: StreamedNotification) => void) {
  const queryClient = useQueryClient();
  useEffect(
    () =>
      openNotificationStream((notification) => {
        void queryClient.invalidateQueries({ queryKey: ['notifications'] });
        // What a notification is about has probably changed too (an RFQ matched, an order moved).
        void queryClient.invalidateQueries({ queryKey: [notification.link.split('/')[3]] });
        onArrival(notification);
      }),
    // onArrival is a state setter (stable): the stream opens once per signed-in shell.
    [queryClient, onArrival],
  );
}

function NavLinks({ onNavigate }: { onNavigate?: () => void }) {
  const user = useUser();
  return (
    <>
      {navFor(user.role).map((item) => (
        <NavLink
          key={item.to}
          to={item.to}
          end={item.to === '/admin'}
          onClick={onNavigate}
          className={({ isActive }) =>
            cn('rounded-md px-3 py-2 text-sm font-medium text-slate-700 hover:bg-slate-100', isActive && 'bg-emerald-50 text-emerald-900')
          }
        >
          {item.label}
        </NavLink>
      ))}
    </>
  );
}

export function Shell() {
  const user = useUser();
  const navigate = useNavigate();
  const unread = useUnreadCount();
  const [toast, setToast] = useState<StreamedNotification | undefined>();
  const [menuOpen, setMenuOpen] = useState(false);
  useLiveNotifications(setToast);
  useEffect(() => {
    if (!toast) return;
    const timer = setTimeout(() => setToast(undefined), 8000);
    return () => clearTimeout(timer);
  }, [toast]);
  const count = unread.data ?? 0;

  return (
    <div className="min-h-screen">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:p-2">
        Skip to content
      </a>
      <header className="sticky top-0 z-30 border-b border-slate-200 bg-white/95 backdrop-blur">
        <div className="mx-auto flex h-14 max-w-7xl items-center gap-2 px-4">
          <Dialog.Root open={menuOpen} onOpenChange={setMenuOpen}>
            <Dialog.Trigger asChild>
              <Button variant="ghost" size="icon" className="md:hidden" aria-label="Open navigation">
                <MenuIcon className="h-5 w-5" aria-hidden="true" />
              </Button>
            </Dialog.Trigger>
            <Dialog.Portal>
              <Dialog.Overlay className="fixed inset-0 z-40 bg-slate-900/40" />
              <Dialog.Content className="fixed inset-y-0 left-0 z-50 flex w-72 flex-col gap-1 bg-white p-4 shadow-xl" aria-describedby={undefined}>
                <div className="mb-2 flex items-center justify-between">
                  <Dialog.Title className="font-semibold">FoodXchange</Dialog.Title>
                  <Dialog.Close asChild>
                    <Button variant="ghost" size="icon" aria-label="Close navigation">
                      <X className="h-5 w-5" aria-hidden="true" />
                    </Button>
                  </Dialog.Close>
                </div>
                <nav aria-label="Main" className="flex flex-col gap-1">
                  <NavLinks onNavigate={() => setMenuOpen(false)} />
                </nav>
              </Dialog.Content>
            </Dialog.Portal>
          </Dialog.Root>
          <Link to="/" className="mr-4 font-semibold text-emerald-800">
            FoodXchange
          </Link>
          <nav aria-label="Main" className="hidden items-center gap-1 md:flex">
            <NavLinks />
          </nav>
          <div className="ml-auto flex items-center gap-1">
            <Button asChild variant="ghost" size="icon" className="relative">
              <Link to="/notifications" aria-label={count > 0 ? `Notifications, ${count} unread` : 'Notifications'}>
                <Bell className="h-5 w-5" aria-hidden="true" />
                {count > 0 ? (
                  <span data-testid="unread-badge" className="absolute -right-0.5 -top-0.5 min-w-5 rounded-full bg-red-700 px-1 text-center text-xs font-semibold leading-5 text-white">
                    {count > 99 ? '99+' : count}
                  </span>
                ) : null}
              </Link>
            </Button>
            <Menu.Root>
              <Menu.Trigger asChild>
                <Button variant="ghost" className="gap-2" aria-label={`Account menu for ${user.email}`}>
                  <UserRound className="h-5 w-5" aria-hidden="true" />
                  <span className="hidden text-sm lg:inline">{user.email}</span>
                </Button>
              </Menu.Trigger>
              <Menu.Portal>
                <Menu.Content align="end" sideOffset={6} className="z-50 min-w-56 rounded-md border border-slate-200 bg-white p-1 shadow-lg">
                  <Menu.Label className="px-2 py-1.5 text-xs text-slate-600">Signed in as {label(user.role)}</Menu.Label>
                  <Menu.Item className="cursor-pointer rounded px-2 py-1.5 text-sm outline-none data-[highlighted]:bg-slate-100" onSelect={() => void signOut()}>
                    Sign out
                  </Menu.Item>
                  <Menu.Item className="cursor-pointer rounded px-2 py-1.5 text-sm outline-none data-[highlighted]:bg-slate-100" onSelect={() => void signOutEverywhere()}>
                    Sign out everywhere
                  </Menu.Item>
                </Menu.Content>
              </Menu.Portal>
            </Menu.Root>
          </div>
        </div>
      </header>
      <main id="main" className="mx-auto max-w-7xl px-4 py-6">
        <Outlet />
      </main>
      <div aria-live="polite" className="pointer-events-none fixed bottom-4 right-4 z-50 w-80 max-w-[calc(100vw-2rem)]">
        {toast ? (
          <div className="pointer-events-auto rounded-lg border border-slate-200 bg-white p-4 shadow-lg" data-testid="notification-toast">
            <p className="font-medium">{toast.title}</p>
            <p className="mt-1 text-sm text-slate-700">{toast.body}</p>
            <div className="mt-2 flex gap-2">
              <Button size="sm" variant="secondary" onClick={() => { navigate(consolePathOf(toast.link)); setToast(undefined); }}>
                Open
              </Button>
              <Button size="sm" variant="ghost" onClick={() => setToast(undefined)}>
                Dismiss
              </Button>
            </div>
          </div>
        ) : null}
      </div>
    </div>
  );
}
