import { signOut } from "firebase/auth";
import { NavLink, Outlet, useNavigate, useParams } from "react-router";

import { useUser } from "@/features/auth/auth-provider";
import { useHouseholds } from "@/features/households/api/list-households";
import { LiveIndicator } from "@/features/live/components/live-indicator";
import { NotificationsButton } from "@/features/notifications/components/notifications-button";
import { firebaseAuth } from "@/lib/firebase";

const sections = [
  { to: "today", label: "My day" },
  { to: "board", label: "Board" },
  { to: "chores", label: "Chores" },
  { to: "members", label: "Members" },
  { to: "fairness", label: "Fairness" },
];

/** Where `/` takes this person next time (per user: a shared computer has several). */
export const lastHouseholdKey = (uid: string) => `chorus.lastHousehold.${uid}`;

/** The signed-in frame: household switcher, sections, notifications, live status, account. */
export function AppLayout() {
  const { householdId } = useParams();
  const households = useHouseholds();
  const navigate = useNavigate();
  const user = useUser();
  if (householdId) localStorage.setItem(lastHouseholdKey(user.uid), householdId);

  const linkClass = ({ isActive }: { isActive: boolean }) =>
    `whitespace-nowrap rounded-lg px-3 py-2 text-sm font-medium ${isActive ? "bg-brand-100 text-brand-800" : "text-slate-700 hover:bg-slate-200"}`;

  return (
    <div className="flex min-h-dvh flex-col">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:p-2">
        Skip to content
      </a>
      <header className="sticky top-0 z-20 border-b border-slate-200 bg-white/95 backdrop-blur">
        <div className="mx-auto flex max-w-5xl items-center gap-2 px-3 py-2">
          <NavLink to="/" className="flex items-center gap-2 font-bold text-brand-700" aria-label="Chorus home">
            <img src="/favicon.svg" alt="" className="size-7" />
            <span className="hidden sm:inline">Chorus</span>
          </NavLink>
          {households.data && households.data.length > 0 && (
            <label className="min-w-0 flex-1 sm:flex-none">
              <span className="sr-only">Household</span>
              <select
                className="w-full max-w-56 truncate rounded-lg border border-slate-300 bg-white px-2 py-1.5 text-sm"
                value={householdId ?? ""}
                onChange={(event) => {
                  if (event.target.value === "new") navigate("/welcome");
                  else navigate(`/h/${event.target.value}/today`);
                }}
              >
                {!householdId && <option value="">Choose a household</option>}
                {households.data.map((household) => (
                  <option key={household.id} value={household.id}>
                    {household.name}
                  </option>
                ))}
                <option value="new">+ Start or join another…</option>
              </select>
            </label>
          )}
          <div className="ml-auto flex items-center gap-1">
            <LiveIndicator />
            <NotificationsButton />
            <NavLink to="/settings" className={linkClass}>
              Settings
            </NavLink>
            <button
              type="button"
              className="hidden rounded-lg px-3 py-2 text-sm font-medium text-slate-700 hover:bg-slate-200 sm:block"
              onClick={() => void signOut(firebaseAuth()).then(() => navigate("/sign-in"))}
            >
              Sign out
            </button>
          </div>
        </div>
        {householdId && (
          <nav aria-label="Household" className="mx-auto flex max-w-5xl gap-1 overflow-x-auto px-3 pb-2">
            {sections.map((section) => (
              <NavLink key={section.to} to={`/h/${householdId}/${section.to}`} className={linkClass}>
                {section.label}
              </NavLink>
            ))}
          </nav>
        )}
      </header>
      <main id="main" className="flex-1">
        <Outlet />
      </main>
    </div>
  );
}
