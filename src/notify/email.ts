// Email over SMTP (nodemailer). The password is read from where usersync.json says (an environment
// variable or a file) at the moment of sending, and never appears in a log line or an error.
import nodemailer from "nodemailer";
import type { NotificationsConfig } from "../config/index.ts";
import { readSecret } from "./secrets.ts";

export type EmailSettings = NonNullable<NotificationsConfig["email"]>;

export interface EmailMessage {
  subject: string;
  text: string;
}

/** Sends one message to every address in `to`; resolves with the SMTP server's answer. */
export async function sendEmail(settings: EmailSettings, message: EmailMessage, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const { smtp } = settings;
  const password = smtp.password ? readSecret(smtp.password, "notifications.email.smtp.password", env) : undefined;
  const timeout = smtp.timeoutMs ?? 30_000;
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port ?? (smtp.secure ? 465 : 587),
    secure: smtp.secure ?? false,
    requireTLS: smtp.requireTLS ?? false,
    auth: smtp.user ? { user: smtp.user, pass: password ?? "" } : undefined,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    logger: false,
    debug: false,
  });
  try {
    const info = await transport.sendMail({
      from: { name: "User feed", address: settings.from },
      to: settings.to,
      subject: message.subject,
      text: message.text,
    });
    return String(info.response ?? "");
  } finally {
    transport.close();
  }
}
