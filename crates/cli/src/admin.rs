//! `clearline admin`: the operator's command line. It opens the data directory itself (owning
//! the data directory is already full power over it), so it works with or without a running
//! server, and calls the same services as the admin API.

use std::io::BufRead;
use std::sync::Arc;

use clap::{Args, Subcommand};
use clearline_core::App;
use clearline_core::partners::{AppRegistration, Operator};
use clearline_domain::{
    Agreement, AppId, ClientKind, DisplayName, Handle, OrgName, Partner, PartnerSlug, Password, RedirectUri,
    ReportZone, Scopes, Tier, WebhookUrl,
};
use clearline_store::DefaultStore;

/// What to administer.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an operator account. The password is read from CLEARLINE_OPERATOR_PASSWORD, or
    /// else from the first line of standard input.
    CreateOperator {
        /// The operator's handle.
        #[arg(long)]
        handle: String,
        /// The operator's display name.
        #[arg(long, default_value = "Operator")]
        display_name: String,
    },
    /// Partners and their agreements.
    #[command(subcommand)]
    Partner(PartnerCommand),
    /// Partner apps (OAuth clients).
    #[command(subcommand)]
    App(AppCommand),
}

/// `clearline admin partner …`.
#[derive(Debug, Subcommand)]
pub enum PartnerCommand {
    /// Create a partner with its agreement.
    Create(PartnerArgs),
    /// List partners and their agreements.
    List,
    /// Suspend a partner: every call of its apps is denied at once.
    Suspend {
        /// The partner's slug.
        slug: String,
    },
    /// Resume a suspended partner.
    Resume {
        /// The partner's slug.
        slug: String,
    },
}

/// A partner and its agreement.
#[derive(Debug, Args)]
pub struct PartnerArgs {
    /// Short name, e.g. streamflix.
    #[arg(long)]
    pub slug: String,
    /// Display name.
    #[arg(long)]
    pub name: String,
    /// standard or extended.
    #[arg(long, default_value = "standard")]
    pub tier: String,
    /// Scopes its apps may request, space-separated.
    #[arg(long, default_value = "inbox:send inbox:read inbox:delete friends:read")]
    pub scopes: String,
    /// Longest grant, in days.
    #[arg(long, default_value_t = 90)]
    pub max_grant_days: u32,
    /// Reporting cadence, in days.
    #[arg(long, default_value_t = 14)]
    pub report_cadence_days: u32,
    /// The IANA time zone whose days reports count, e.g. Europe/Amsterdam.
    #[arg(long, default_value = "UTC")]
    pub time_zone: String,
}

/// `clearline admin app …`.
#[derive(Debug, Subcommand)]
pub enum AppCommand {
    /// Register an app for a partner; prints its client id (and secret, once).
    Register {
        /// The partner's slug.
        #[arg(long)]
        partner: String,
        /// The name people see on the consent page.
        #[arg(long)]
        name: String,
        /// confidential or public.
        #[arg(long = "type", default_value = "confidential")]
        client_type: String,
        /// An exact redirect URI (repeat for more).
        #[arg(long = "redirect-uri", required = true)]
        redirect_uris: Vec<String>,
        /// Where revocations are announced.
        #[arg(long)]
        webhook_url: Option<String>,
    },
    /// Replace a confidential app's secret; prints the new one.
    RotateSecret {
        /// The app's client id (app_…).
        client_id: String,
    },
}

fn print_partner(p: &Partner) {
    let a = &p.agreement;
    let state = if a.suspended_at.is_some() { "SUSPENDED" } else { "active" };
    println!(
        "{} {} ({}) tier={} scopes=\"{}\" max_grant_days={} cadence={}d zone={} {state}",
        p.id,
        p.slug.as_str(),
        p.name.as_str(),
        a.tier.as_str(),
        a.scopes,
        a.max_grant_days,
        a.report_cadence_days,
        a.time_zone.name()
    );
}

/// The address local commands make password attempts from.
const LOCAL: std::net::IpAddr = std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

fn read_password() -> anyhow::Result<Password> {
    let raw = match std::env::var("CLEARLINE_OPERATOR_PASSWORD") {
        Ok(p) => p,
        Err(_) => std::io::stdin().lock().lines().next().transpose()?.unwrap_or_default(),
    };
    Ok(Password::parse(raw)?)
}

/// Runs an admin command against the store in the configured data directory.
pub async fn run(app: Arc<App<DefaultStore>>, op: Operator, cmd: AdminCommand) -> anyhow::Result<()> {
    let slug_of = |s: &str| PartnerSlug::parse(s);
    match cmd {
        AdminCommand::CreateOperator { handle, display_name } => {
            let signed = app
                .sign_up(
                    Handle::parse(&handle)?,
                    DisplayName::parse(&display_name)?,
                    read_password()?,
                    Some("admin"),
                    LOCAL,
                )
                .await?;
            app.grant_operator(op, signed.user.id).await?;
            println!("operator {} ({handle}) created", signed.user.id);
        }
        AdminCommand::Partner(PartnerCommand::Create(a)) => {
            let agreement = Agreement {
                tier: Tier::from_name(&a.tier).ok_or_else(|| anyhow::anyhow!("tier must be standard or extended"))?,
                scopes: Scopes::parse(&a.scopes)?,
                max_grant_days: a.max_grant_days,
                report_cadence_days: a.report_cadence_days,
                time_zone: ReportZone::parse(&a.time_zone)?,
                effective_from: app.now(),
                effective_until: None,
                suspended_at: None,
            };
            print_partner(&app.create_partner(op, slug_of(&a.slug)?, OrgName::parse(&a.name)?, agreement).await?);
        }
        AdminCommand::Partner(PartnerCommand::List) => {
            for p in app.partners(op).await? {
                print_partner(&p);
            }
        }
        AdminCommand::Partner(PartnerCommand::Suspend { slug }) => {
            let p = app.partner_by_slug(op, slug_of(&slug)?).await?;
            print_partner(&app.suspend_partner(op, p.id, true).await?);
        }
        AdminCommand::Partner(PartnerCommand::Resume { slug }) => {
            let p = app.partner_by_slug(op, slug_of(&slug)?).await?;
            print_partner(&app.suspend_partner(op, p.id, false).await?);
        }
        AdminCommand::App(AppCommand::Register { partner, name, client_type, redirect_uris, webhook_url }) => {
            let p = app.partner_by_slug(op, slug_of(&partner)?).await?;
            let reg = AppRegistration {
                name: OrgName::parse(&name)?,
                kind: ClientKind::from_name(&client_type)
                    .ok_or_else(|| anyhow::anyhow!("type must be confidential or public"))?,
                redirect_uris: redirect_uris.iter().map(|u| RedirectUri::parse(u)).collect::<Result<_, _>>()?,
                webhook_url: webhook_url.as_deref().map(WebhookUrl::parse).transpose()?,
            };
            let (registered, secret) = app.register_app(op, p.id, reg).await?;
            println!("client_id {}", registered.id);
            if let Some(s) = secret {
                println!("client_secret {} (shown once; stored only as a hash)", s.expose());
            }
        }
        AdminCommand::App(AppCommand::RotateSecret { client_id }) => {
            let id: AppId = client_id.parse()?;
            println!("client_secret {} (shown once)", app.rotate_client_secret(op, id).await?.expose());
        }
    }
    Ok(())
}
