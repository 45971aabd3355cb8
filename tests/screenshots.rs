//! Not tests: the workspaces `docs/screenshots.sh` starts the real window
//! with, made by clicking through the real app as a user would and saved
//! as eframe saves it. Each runs only when asked (`--ignored`), with
//! `NETPAL_SHOT_FILE` naming the workspace file to write.

mod common;

use common::*;
use egui_kittest::kittest::Queryable;

/// Writes `h`'s workspace where `NETPAL_SHOT_FILE` says, as eframe's file
/// storage writes it (a RON map of keys to strings).
fn write_workspace(h: &mut egui_kittest::Harness<'static, netpal::App>) {
    let Some(path) = std::env::var_os("NETPAL_SHOT_FILE") else {
        panic!("NETPAL_SHOT_FILE names the workspace file to write");
    };
    let storage = save(h);
    let text = ron::ser::to_string_pretty(&storage.0, ron::ser::PrettyConfig::default()).unwrap();
    let path = std::path::PathBuf::from(path);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    std::fs::write(path, text).unwrap();
}

/// A TCP server on 127.0.0.1:5020 showing hex, and beside it a client of
/// it set to send hex with CRC-16/MODBUS appended (the payload is typed
/// in the window: a send box's text is not saved).
#[test]
#[ignore = "run by docs/screenshots.sh"]
fn workspace_server_and_modbus_client() {
    let mut h = harness();
    choose(&mut h, "Protocol", "TCP Server");
    choose(&mut h, "Local address", "127.0.0.1");
    set_field(&mut h, "Local port", "5020");
    choose(&mut h, "Show as", "Hex");
    new_tab(&mut h);
    choose(&mut h, "Protocol", "TCP Client");
    set_field(&mut h, "Remote host", "127.0.0.1");
    set_field(&mut h, "Remote port", "5020");
    h.get_by_label("Send as hex").click();
    h.step();
    choose(&mut h, "Checksum", "CRC-16/MODBUS");
    click(&mut h, "Side by side");
    h.run_steps(2);
    write_workspace(&mut h);
}
