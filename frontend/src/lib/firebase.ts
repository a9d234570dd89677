import { initializeApp } from "firebase/app";
import { type Auth, connectAuthEmulator, getAuth } from "firebase/auth";

import type { ClientConfig } from "@/config";

let auth: Auth | undefined;

export function initFirebase(config: ClientConfig): Auth {
  const app = initializeApp({
    apiKey: config.firebase_api_key,
    authDomain: config.firebase_auth_domain,
    projectId: config.firebase_project_id,
  });
  auth = getAuth(app);
  if (config.auth_emulator_url) connectAuthEmulator(auth, config.auth_emulator_url, { disableWarnings: true });
  return auth;
}

export function firebaseAuth(): Auth {
  if (!auth) throw new Error("Firebase is not initialised");
  return auth;
}
