//! Every user-facing string, in English and Chinese.

use crate::net::{CloseReason, Detail, NetError, NetErrorKind, Op, Protocol};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {
    /// From the system locale: Chinese for any `zh*` locale, else English.
    pub fn from_system() -> Lang {
        match sys_locale::get_locale() {
            Some(l) if l.to_ascii_lowercase().starts_with("zh") => Lang::Zh,
            _ => Lang::En,
        }
    }

    pub fn tr(self) -> &'static Tr {
        match self {
            Lang::En => &EN,
            Lang::Zh => &ZH,
        }
    }

    /// The language's own name, for the switcher.
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Zh => "中文",
        }
    }
}

/// The strings of one language.
pub struct Tr {
    pub net_settings: &'static str,
    pub protocol: &'static str,
    pub tcp_server: &'static str,
    pub relay: &'static str,
    pub udp_relay: &'static str,
    pub unix_server: &'static str,
    pub unix_client: &'static str,
    pub unix_dgram: &'static str,
    pub unix_path: &'static str,
    pub unix_server_path: &'static str,
    pub unix_remote_path: &'static str,
    pub path_needed: &'static str,
    pub remove_stale_and_open: &'static str,
    pub relay_target: &'static str,
    pub target_host: &'static str,
    pub connect_timeout: &'static str,
    pub socket_options: &'static str,
    pub multicast: &'static str,
    pub mcast_group: &'static str,
    pub mcast_iface: &'static str,
    pub mcast_join: &'static str,
    pub mcast_leave: &'static str,
    pub mcast_hint: &'static str,
    pub broadcast_to: &'static str,
    pub broadcast_hint: &'static str,
    pub opt_default: &'static str,
    /// An option NetPal itself turns on unless told otherwise.
    pub opt_default_on: &'static str,
    pub opt_on: &'static str,
    pub opt_off: &'static str,
    pub opt_keepalive_idle: &'static str,
    pub opt_keepalive_interval: &'static str,
    pub opt_keepalive_times: &'static str,
    pub opt_rcvbuf: &'static str,
    pub opt_sndbuf: &'static str,
    pub opt_ttl: &'static str,
    pub opt_linger: &'static str,
    pub opt_mcast_ttl: &'static str,
    pub opt_read_back: &'static str,
    pub bad_option_value: &'static str,
    pub bad_timeout: &'static str,
    pub reconnect: &'static str,
    pub reconnect_hint: &'static str,
    pub target_port: &'static str,
    pub relay_send_toward: &'static str,
    pub relay_toward_clients: &'static str,
    pub relay_toward_target: &'static str,
    pub relay_hold_to_target: &'static str,
    pub relay_hold_to_client: &'static str,
    pub relay_hold_hint: &'static str,
    pub target_side: &'static str,
    pub tcp_client: &'static str,
    pub udp: &'static str,
    pub local_addr: &'static str,
    pub refresh_addrs: &'static str,
    pub local_port: &'static str,
    pub local_port_hint: &'static str,
    pub remote_host: &'static str,
    pub remote_port: &'static str,
    pub open: &'static str,
    pub close: &'static str,
    pub recv_settings: &'static str,
    pub show_as: &'static str,
    pub view_text: &'static str,
    pub view_hex: &'static str,
    pub view_both: &'static str,
    pub encoding: &'static str,
    pub auto_scroll: &'static str,
    pub word_wrap: &'static str,
    pub echo: &'static str,
    pub clear_log: &'static str,
    pub copy_log: &'static str,
    pub send_settings: &'static str,
    pub send_as_hex: &'static str,
    pub send_box: &'static str,
    pub send_box_hint: &'static str,
    pub send: &'static str,
    pub send_to: &'static str,
    pub all_clients: &'static str,
    pub selected_clients: &'static str,
    pub clients: &'static str,
    pub no_clients: &'static str,
    pub select_all: &'static str,
    pub select_none: &'static str,
    pub disconnect_selected: &'static str,
    pub source_port: &'static str,
    pub source_port_hint: &'static str,
    pub source_port_tip: &'static str,
    pub shut_write: &'static str,
    pub shut_write_hint: &'static str,
    pub reset_conn: &'static str,
    pub reset_conn_hint: &'static str,
    pub peers: &'static str,
    pub no_peers: &'static str,
    pub language: &'static str,
    pub state_closed: &'static str,
    pub state_opening: &'static str,
    pub state_connecting: &'static str,
    pub state_listening: &'static str,
    pub state_connected: &'static str,
    /// A peer closed its side; its connection is open for sending.
    pub fin_received: &'static str,
    /// The choice of what follows a peer's FIN, and its two options.
    pub peer_fin: &'static str,
    pub peer_fin_close: &'static str,
    pub peer_fin_keep: &'static str,
    pub peer_fin_hint: &'static str,
    pub state_bound: &'static str,
    pub rx: &'static str,
    pub tx: &'static str,
    pub bytes: &'static str,
    pub packets: &'static str,
    pub reset_counters: &'static str,
    pub copy: &'static str,
    pub use_as_remote: &'static str,
    pub bad_port: &'static str,
    pub bad_host: &'static str,
    pub bad_local_addr: &'static str,
    pub no_client_selected: &'static str,
    pub invalid_hex: &'static str,
    pub cannot_encode: &'static str,
    pub session_closed: &'static str,
    pub log_empty: &'static str,
    pub log_limit: &'static str,
    pub connected_at: &'static str,
    pub address: &'static str,
    pub remote_needed: &'static str,
    pub log_limit_mib: &'static str,
    pub bound_to: &'static str,
    pub local_end: &'static str,
    pub records: &'static str,
    pub new_session: &'static str,
    pub split_group: &'static str,
    pub arrange_tabs: &'static str,
    pub arrange_side_by_side: &'static str,
    pub arrange_grid: &'static str,
    pub new_session_hint: &'static str,
    pub duplicate: &'static str,
    pub rename: &'static str,
    pub close_tab: &'static str,
    pub tab_name: &'static str,
    pub split_hint: &'static str,
    pub total_log_limit_mib: &'static str,
    pub no_sessions: &'static str,
    pub find: &'static str,
    pub find_mode: &'static str,
    pub find_previous: &'static str,
    pub find_next: &'static str,
    pub show_label: &'static str,
    pub events: &'static str,
    pub peer_filter: &'static str,
    pub all_peers: &'static str,
    pub rate_chart: &'static str,
    pub per_sec: &'static str,
    pub seconds_ago: &'static str,
    pub export_log: &'static str,
    pub export_format: &'static str,
    pub export_file: &'static str,
    pub export_now: &'static str,
    pub exported: &'static str,
    pub send_encoding: &'static str,
    pub same_as_receive: &'static str,
    pub hexdump: &'static str,
    pub time_shown: &'static str,
    pub time_absolute: &'static str,
    pub time_relative: &'static str,
    pub time_delta: &'static str,
    pub auto_reply: &'static str,
    pub rule_enabled: &'static str,
    pub add_rule: &'static str,
    pub match_kind: &'static str,
    pub match_exact: &'static str,
    pub match_prefix: &'static str,
    pub match_contains: &'static str,
    pub match_regex: &'static str,
    pub match_hex: &'static str,
    pub pattern: &'static str,
    pub reply_text: &'static str,
    pub reply_hex: &'static str,
    pub reply_delay_ms: &'static str,
    pub capture: &'static str,
    pub per_peer_files: &'static str,
    pub capture_as_text: &'static str,
    pub capturing_since: &'static str,
    pub start_capture: &'static str,
    pub stop_capture: &'static str,
    pub capture_at_open: &'static str,
    pub disarm_capture: &'static str,
    pub capture_armed: &'static str,
    pub count_only: &'static str,
    pub count_only_notice: &'static str,
    pub framing: &'static str,
    pub framing_none: &'static str,
    pub framing_lf: &'static str,
    pub framing_crlf: &'static str,
    pub framing_delim: &'static str,
    pub framing_fixed: &'static str,
    pub framing_len: &'static str,
    pub framing_idle: &'static str,
    pub delimiter_hex: &'static str,
    pub keep_delimiter: &'static str,
    pub frame_length: &'static str,
    pub length_bytes: &'static str,
    pub big_endian: &'static str,
    pub length_offset: &'static str,
    pub length_includes_header: &'static str,
    pub max_frame: &'static str,
    pub close_on_oversize: &'static str,
    pub idle_ms: &'static str,
    pub empty: &'static str,
    pub escapes: &'static str,
    pub escapes_hint: &'static str,
    pub append: &'static str,
    pub checksum: &'static str,
    pub checksum_from: &'static str,
    pub preview: &'static str,
    pub history: &'static str,
    pub send_tools: &'static str,
    pub periodic: &'static str,
    pub interval_ms: &'static str,
    pub times: &'static str,
    pub until_stopped: &'static str,
    pub start: &'static str,
    pub stop: &'static str,
    pub quick_commands: &'static str,
    pub add: &'static str,
    pub edit: &'static str,
    pub delete: &'static str,
    pub move_up: &'static str,
    pub move_down: &'static str,
    pub done: &'static str,
    pub name: &'static str,
    pub payload: &'static str,
    pub then_wait_ms: &'static str,
    pub run_sequence: &'static str,
    pub loop_label: &'static str,
    pub import: &'static str,
    pub export: &'static str,
    pub send_file: &'static str,
    pub send_file_button: &'static str,
    pub file: &'static str,
    pub browse: &'static str,
    pub drop_hint: &'static str,
    pub datagram_size: &'static str,
    pub datagram_gap: &'static str,
    pub cancel: &'static str,
    pub generator: &'static str,
    pub rate: &'static str,
    pub rate_hint: &'static str,
    pub packets_per_sec: &'static str,
    pub bytes_per_sec: &'static str,
    pub seconds: &'static str,
    pub no_limit: &'static str,
    pub generator_hint: &'static str,
    pub bad_seconds: &'static str,
    pub session_not_open: &'static str,
    pub all_settings: &'static str,
    pub all_settings_hint: &'static str,
    pub compact_view: &'static str,
    pub compact_view_hint: &'static str,
    pub line_box_hint: &'static str,
    pub nothing_to_send: &'static str,
    pub no_quick_commands: &'static str,
    pub choose_file_first: &'static str,
    pub invalid_escape: &'static str,
    pub stalled: &'static str,
    pub resend: &'static str,
    pub quick_file_error: &'static str,
    pub no_file_dialog: &'static str,
    pub quick_file_path: &'static str,
    pub import_this_file: &'static str,
    pub export_to_this_file: &'static str,
    pub quick_file_written: &'static str,
    pub quick_file_read: &'static str,
    pub empty_datagram: &'static str,
}

pub static EN: Tr = Tr {
    net_settings: "Network settings",
    protocol: "Protocol",
    tcp_server: "TCP Server",
    relay: "TCP Relay",
    udp_relay: "UDP Relay",
    unix_server: "Unix Server",
    unix_client: "Unix Client",
    unix_dgram: "Unix Datagram",
    unix_path: "Socket path",
    unix_server_path: "Server socket path",
    unix_remote_path: "Remote socket path",
    path_needed: "a socket path is needed (e.g. /tmp/app.sock)",
    remove_stale_and_open: "Remove the stale socket file and open",
    relay_target: "Target",
    target_host: "Target host",
    connect_timeout: "Connect timeout (s)",
    socket_options: "Socket options",
    multicast: "Multicast",
    mcast_group: "Group",
    mcast_iface: "Interface (name or address; empty: the system's)",
    mcast_join: "Join",
    mcast_leave: "Leave",
    mcast_hint: "Joined again at every open. Sends to a group go out of the interface of the last group joined. Bind 0.0.0.0 (or ::) to receive a group's datagrams",
    broadcast_to: "Broadcast address",
    broadcast_hint: "Send to every host of a network (SO_BROADCAST, on unless turned off in Socket options)",
    opt_default: "System default",
    opt_default_on: "On (NetPal's default)",
    opt_on: "On",
    opt_off: "Off",
    opt_keepalive_idle: "Keepalive idle (s)",
    opt_keepalive_interval: "Keepalive interval (s)",
    opt_keepalive_times: "Keepalive times",
    opt_rcvbuf: "SO_RCVBUF (bytes)",
    opt_sndbuf: "SO_SNDBUF (bytes)",
    opt_ttl: "IP_TTL / hop limit",
    opt_linger: "SO_LINGER (s)",
    opt_mcast_ttl: "Multicast TTL / hops",
    opt_read_back: "Read back from the socket",
    bad_option_value: "not a value the option takes",
    bad_timeout: "not a time in seconds (1 to 3600)",
    reconnect: "Reconnect",
    reconnect_hint: "Connect again when the connection ends or a connect fails: after 1 s, then 2, 4... up to 30 s",
    target_port: "Target port",
    relay_send_toward: "Send toward",
    relay_toward_clients: "Clients (as the target)",
    relay_toward_target: "Target (as the client)",
    relay_hold_to_target: "Hold client → target",
    relay_hold_to_client: "Hold target → client",
    relay_hold_hint: "Held bytes are shown and wait, in order, until released",
    target_side: "target side",
    tcp_client: "TCP Client",
    udp: "UDP",
    local_addr: "Local address",
    refresh_addrs: "Refresh",
    local_port: "Local port",
    local_port_hint: "0 = any free port",
    remote_host: "Remote host",
    remote_port: "Remote port",
    open: "Open",
    close: "Close",
    recv_settings: "Receive",
    show_as: "Show as",
    view_text: "Text",
    view_hex: "Hex",
    view_both: "Text + hex",
    encoding: "Encoding",
    auto_scroll: "Auto-scroll",
    word_wrap: "Word wrap",
    echo: "Echo back what is received",
    clear_log: "Clear log",
    copy_log: "Copy log",
    send_settings: "Send",
    send_as_hex: "Send as hex",
    send_box: "Data to send",
    send_box_hint: "Type here; Ctrl+Enter sends",
    send: "Send",
    send_to: "Send to",
    all_clients: "All clients",
    selected_clients: "Selected clients",
    clients: "Clients",
    no_clients: "No client connected",
    select_all: "Select all",
    select_none: "Select none",
    disconnect_selected: "Disconnect selected",
    source_port: "Source port",
    source_port_hint: "any (the system chooses)",
    source_port_tip: "Connect from this local port (bound before connecting), for peers that only accept known ports.",
    shut_write: "Shut down write",
    shut_write_hint: "Half-close: send a FIN once what is queued is written. The peer reads the end of the stream and can still send; NetPal keeps showing what it sends.",
    reset_conn: "Reset",
    reset_conn_hint: "Close with a RST (SO_LINGER 0): the peer sees \"connection reset\"; anything unsent is dropped.",
    peers: "Peers",
    no_peers: "No datagram received yet",
    language: "Language",
    state_closed: "Closed",
    state_opening: "Opening…",
    state_connecting: "Connecting…",
    state_listening: "Listening",
    state_connected: "Connected",
    fin_received: "FIN received",
    peer_fin: "When the peer closes its side (FIN)",
    peer_fin_close: "Close once answered",
    peer_fin_keep: "Keep open for sending",
    peer_fin_hint: "A FIN only says the peer will send no more; it can still read. Close once answered: what it asked for (auto-replies, echo, queued sends) is written, then the connection closes. Keep open for sending: you can go on sending until you close it or shut down write, or the peer resets it.",
    state_bound: "Bound",
    rx: "RX",
    tx: "TX",
    bytes: "bytes",
    packets: "packets",
    reset_counters: "Reset counters",
    copy: "Copy",
    use_as_remote: "Use as remote",
    bad_port: "Port must be a number from 0 to 65535",
    bad_host: "Not a host name or IP address",
    bad_local_addr: "Not a local IP address",
    no_client_selected: "No client selected",
    invalid_hex: "Invalid hex",
    cannot_encode: "Cannot encode",
    session_closed: "Session closed",
    log_empty: "Nothing received yet. Open a session and data will appear here.",
    log_limit: "log limit",
    connected_at: "Connected",
    address: "Address",
    remote_needed: "Enter the remote host and port",
    log_limit_mib: "Log limit (MiB)",
    bound_to: "Bound to",
    local_end: "Local end",
    records: "records",
    new_session: "New session",
    new_session_hint: "New session (Ctrl+T)",
    duplicate: "Duplicate",
    rename: "Rename",
    close_tab: "Close tab",
    tab_name: "Tab name",
    split_hint: "Drag a tab to a side of another session to see both at once",
    total_log_limit_mib: "All logs limit (MiB)",
    no_sessions: "No session. Click “New session” or press Ctrl+T.",
    find: "Find",
    find_mode: "Text, hex bytes, or a regular expression",
    find_previous: "Previous",
    find_next: "Next",
    show_label: "Show:",
    events: "Events",
    peer_filter: "Peer",
    all_peers: "All peers",
    rate_chart: "Rate chart",
    per_sec: "/s",
    seconds_ago: "seconds ago",
    export_log: "Export log",
    export_format: "Format",
    export_file: "To file",
    export_now: "Export",
    exported: "Exported to",
    send_encoding: "Send in",
    same_as_receive: "as received",
    hexdump: "Hexdump",
    time_shown: "Time",
    time_absolute: "Clock (ms)",
    time_relative: "Since the first record",
    time_delta: "Since the record before",
    auto_reply: "Auto-reply",
    rule_enabled: "Rule on",
    add_rule: "Add rule",
    match_kind: "Match",
    match_exact: "Exactly",
    match_prefix: "Starts with",
    match_contains: "Contains",
    match_regex: "Regex",
    match_hex: "Contains hex",
    pattern: "Pattern",
    reply_text: "Reply",
    reply_hex: "Reply is hex",
    reply_delay_ms: "Delay (ms)",
    capture: "Capture to file",
    per_peer_files: "One file per peer",
    capture_as_text: "As text (the log)",
    capturing_since: "Capturing",
    start_capture: "Start capture",
    stop_capture: "Stop capture",
    capture_at_open: "Capture from Open",
    disarm_capture: "Don't capture at Open",
    capture_armed: "Armed: the capture starts with the session, from its first byte.",
    count_only: "Count only",
    count_only_notice: "Count only: received data is counted, not shown.",
    framing: "Framing (粘包/分包)",
    framing_none: "None: each read",
    framing_lf: "Line (\\n)",
    framing_crlf: "CR LF (\\r\\n)",
    framing_delim: "Delimiter (hex)",
    framing_fixed: "Fixed length",
    framing_len: "Length prefix",
    framing_idle: "Idle gap",
    delimiter_hex: "Delimiter (hex)",
    keep_delimiter: "Keep the delimiter",
    frame_length: "Frame length (bytes)",
    length_bytes: "Length field",
    big_endian: "Big endian",
    length_offset: "Field offset (bytes)",
    length_includes_header: "Length counts the header",
    max_frame: "Largest frame (bytes)",
    close_on_oversize: "Close on a longer frame",
    idle_ms: "Gap (ms)",
    empty: "empty",
    escapes: "Escapes",
    escapes_hint: "\\r \\n \\t \\\\ \\0 \\xHH in text",
    append: "Append",
    checksum: "Checksum",
    checksum_from: "from byte",
    preview: "Out:",
    history: "History",
    send_tools: "Send tools",
    periodic: "Periodic send",
    interval_ms: "Interval (ms)",
    times: "Count",
    until_stopped: "empty: until stopped",
    start: "Start",
    stop: "Stop",
    quick_commands: "Quick commands",
    add: "Add",
    edit: "Edit",
    delete: "Delete",
    move_up: "Move up",
    move_down: "Move down",
    done: "Done",
    name: "Name",
    payload: "Payload",
    then_wait_ms: "Then wait (ms)",
    run_sequence: "Run in order",
    loop_label: "Loop",
    import: "Import…",
    export: "Export…",
    send_file: "Send a file",
    send_file_button: "Send file",
    file: "File",
    browse: "Browse…",
    drop_hint: "or drop a file on the window",
    datagram_size: "Datagram size (bytes)",
    datagram_gap: "Gap between datagrams (ms)",
    cancel: "Cancel",
    generator: "Traffic generator",
    rate: "Rate",
    rate_hint: "empty: as fast as possible",
    packets_per_sec: "packets/s",
    bytes_per_sec: "bytes/s",
    seconds: "Seconds",
    no_limit: "empty: no limit",
    generator_hint: "Sends the send box's payload.",
    bad_seconds: "Seconds: a number above 0",
    session_not_open: "Open the session first",
    all_settings: "Settings…",
    all_settings_hint: "Show this session's settings, peers and send tools in this pane",
    compact_view: "Compact view",
    compact_view_hint: "Show only the log and a send line, as a small pane does",
    line_box_hint: "Type here; Enter sends",
    nothing_to_send: "Nothing to send: the payload is empty",
    no_quick_commands: "No quick commands yet: add one first",
    choose_file_first: "Choose a file first",
    invalid_escape: "Invalid escape",
    stalled: "waiting for the peer to read",
    resend: "Send again",
    quick_file_error: "Cannot read the quick commands",
    no_file_dialog: "No file dialog could be shown: this desktop has no file chooser service \
        (xdg-desktop-portal with a GTK or KDE back end, or zenity; e.g. `sudo apt install zenity`). \
        Type the path here instead, or drop a file on the window.",
    quick_file_path: "Quick-command file (path)",
    import_this_file: "Import this file",
    export_to_this_file: "Export to this file",
    quick_file_written: "Quick commands saved to",
    quick_file_read: "Quick commands read from",
    empty_datagram: "(an empty datagram)",
    arrange_tabs: "All as tabs",
    arrange_side_by_side: "Side by side",
    arrange_grid: "Grid",
    split_group: "Split",
};

pub static ZH: Tr = Tr {
    net_settings: "网络设置",
    protocol: "协议类型",
    tcp_server: "TCP 服务器",
    relay: "TCP 中继",
    udp_relay: "UDP 中继",
    unix_server: "Unix 服务器",
    unix_client: "Unix 客户端",
    unix_dgram: "Unix 数据报",
    unix_path: "套接字路径",
    unix_server_path: "服务器套接字路径",
    unix_remote_path: "远程套接字路径",
    path_needed: "需要套接字路径（如 /tmp/app.sock）",
    remove_stale_and_open: "删除残留的套接字文件并打开",
    relay_target: "目标",
    target_host: "目标主机",
    connect_timeout: "连接超时（秒）",
    socket_options: "套接字选项",
    multicast: "组播",
    mcast_group: "组地址",
    mcast_iface: "接口（名称或地址；留空由系统选择）",
    mcast_join: "加入",
    mcast_leave: "退出",
    mcast_hint: "每次打开时重新加入。发往组的数据从最后加入的组所在接口发出。要接收组播数据请绑定 0.0.0.0（或 ::）",
    broadcast_to: "广播地址",
    broadcast_hint: "发送给网络中的所有主机（SO_BROADCAST，默认开启，可在套接字选项中关闭）",
    opt_default: "系统默认",
    opt_default_on: "开（NetPal 默认）",
    opt_on: "开",
    opt_off: "关",
    opt_keepalive_idle: "保活空闲时间（秒）",
    opt_keepalive_interval: "保活探测间隔（秒）",
    opt_keepalive_times: "保活时间",
    opt_rcvbuf: "SO_RCVBUF（字节）",
    opt_sndbuf: "SO_SNDBUF（字节）",
    opt_ttl: "IP_TTL / 跳数限制",
    opt_linger: "SO_LINGER（秒）",
    opt_mcast_ttl: "组播 TTL / 跳数",
    opt_read_back: "从套接字读回",
    bad_option_value: "不是该选项可接受的值",
    bad_timeout: "不是有效的秒数（1 到 3600）",
    reconnect: "自动重连",
    reconnect_hint: "连接断开或连接失败时自动重连：1 秒后，然后 2、4……最长 30 秒",
    target_port: "目标端口",
    relay_send_toward: "发送方向",
    relay_toward_clients: "客户端（以目标身份）",
    relay_toward_target: "目标（以客户端身份）",
    relay_hold_to_target: "暂停 客户端 → 目标",
    relay_hold_to_client: "暂停 目标 → 客户端",
    relay_hold_hint: "暂停时数据照常显示，按顺序等待，恢复后转发",
    target_side: "目标侧",
    tcp_client: "TCP 客户端",
    udp: "UDP",
    local_addr: "本地主机地址",
    refresh_addrs: "刷新",
    local_port: "本地端口",
    local_port_hint: "0 = 任意空闲端口",
    remote_host: "远程主机地址",
    remote_port: "远程端口",
    open: "打开",
    close: "关闭",
    recv_settings: "接收设置",
    show_as: "显示方式",
    view_text: "文本",
    view_hex: "十六进制",
    view_both: "文本 + 十六进制",
    encoding: "字符编码",
    auto_scroll: "自动滚动",
    word_wrap: "自动换行",
    echo: "回显（收到即原样发回）",
    clear_log: "清空日志",
    copy_log: "复制日志",
    send_settings: "发送设置",
    send_as_hex: "按十六进制发送",
    send_box: "发送数据",
    send_box_hint: "在此输入；Ctrl+Enter 发送",
    send: "发送",
    send_to: "发送到",
    all_clients: "所有客户端",
    selected_clients: "选中的客户端",
    clients: "客户端列表",
    no_clients: "没有客户端连接",
    select_all: "全选",
    select_none: "全不选",
    disconnect_selected: "断开选中",
    source_port: "源端口",
    source_port_hint: "任意（由系统选择）",
    source_port_tip: "从这个本地端口发起连接（连接前绑定），用于只接受已知端口的对端。",
    shut_write: "关闭发送方向",
    shut_write_hint: "半关闭：队列写完后发送 FIN。对方读到流结束，仍可继续发送；NetPal 继续显示它发来的数据。",
    reset_conn: "重置连接",
    reset_conn_hint: "以 RST 关闭（SO_LINGER 0）：对方看到“连接被重置”；未发出的数据被丢弃。",
    peers: "对端列表",
    no_peers: "尚未收到数据报",
    language: "语言",
    state_closed: "未打开",
    state_opening: "正在打开…",
    state_connecting: "正在连接…",
    state_listening: "正在监听",
    state_connected: "已连接",
    fin_received: "已收到 FIN",
    peer_fin: "对方关闭发送方向（FIN）后",
    peer_fin_close: "发完应答后断开",
    peer_fin_keep: "保持连接，仍可发送",
    peer_fin_hint: "FIN 只表示对方不再发送，它仍可接收。发完应答后断开：把对方请求触发的内容（自动应答、回显、排队的发送）发完再断开。保持连接，仍可发送：可以继续发送，直到你关闭连接或关闭写方向，或对方重置连接。",
    state_bound: "已绑定",
    rx: "接收",
    tx: "发送",
    bytes: "字节",
    packets: "包",
    reset_counters: "计数清零",
    copy: "复制",
    use_as_remote: "设为远程",
    bad_port: "端口须为 0 到 65535 的数字",
    bad_host: "不是有效的主机名或 IP 地址",
    bad_local_addr: "不是有效的本地 IP 地址",
    no_client_selected: "没有选中客户端",
    invalid_hex: "十六进制格式错误",
    cannot_encode: "无法编码",
    session_closed: "会话已关闭",
    log_empty: "尚无数据。打开会话后，收到的数据会显示在这里。",
    log_limit: "日志上限",
    connected_at: "连接时间",
    address: "地址",
    remote_needed: "请输入远程主机地址和端口",
    log_limit_mib: "日志上限 (MiB)",
    bound_to: "已绑定",
    local_end: "本地端",
    records: "条记录",
    new_session: "新建会话",
    new_session_hint: "新建会话 (Ctrl+T)",
    duplicate: "复制会话",
    rename: "重命名",
    close_tab: "关闭标签",
    tab_name: "标签名称",
    split_hint: "将标签拖到另一会话的边缘即可并排查看",
    total_log_limit_mib: "日志总上限 (MiB)",
    no_sessions: "没有会话。点击“新建会话”或按 Ctrl+T。",
    find: "查找",
    find_mode: "文本、十六进制字节或正则表达式",
    find_previous: "上一个",
    find_next: "下一个",
    show_label: "显示：",
    events: "事件",
    peer_filter: "对端",
    all_peers: "全部对端",
    rate_chart: "速率图",
    per_sec: "/秒",
    seconds_ago: "秒前",
    export_log: "导出日志",
    export_format: "格式",
    export_file: "导出到文件",
    export_now: "导出",
    exported: "已导出到",
    send_encoding: "发送编码",
    same_as_receive: "同接收",
    hexdump: "十六进制转储",
    time_shown: "时间显示",
    time_absolute: "时钟（毫秒）",
    time_relative: "相对第一条",
    time_delta: "相对上一条",
    auto_reply: "自动应答",
    rule_enabled: "启用规则",
    add_rule: "添加规则",
    match_kind: "匹配方式",
    match_exact: "完全相同",
    match_prefix: "开头是",
    match_contains: "包含",
    match_regex: "正则表达式",
    match_hex: "包含十六进制",
    pattern: "匹配内容",
    reply_text: "应答内容",
    reply_hex: "应答为十六进制",
    reply_delay_ms: "延时（毫秒）",
    capture: "保存到文件",
    per_peer_files: "每个对端一个文件",
    capture_as_text: "保存为文本（日志）",
    capturing_since: "正在保存",
    start_capture: "开始保存",
    stop_capture: "停止保存",
    capture_at_open: "打开时开始保存",
    disarm_capture: "取消打开时保存",
    capture_armed: "已就绪：会话打开时开始保存，从第一个字节起。",
    count_only: "只计数不显示",
    count_only_notice: "只计数：收到的数据只计数，不显示。",
    framing: "分帧（粘包/分包）",
    framing_none: "不分帧：每次读取一条",
    framing_lf: "按行（\\n）",
    framing_crlf: "CR LF（\\r\\n）",
    framing_delim: "分隔符（十六进制）",
    framing_fixed: "固定长度",
    framing_len: "长度前缀",
    framing_idle: "空闲间隔",
    delimiter_hex: "分隔符（十六进制）",
    keep_delimiter: "保留分隔符",
    frame_length: "帧长度（字节）",
    length_bytes: "长度字段",
    big_endian: "大端",
    length_offset: "字段偏移（字节）",
    length_includes_header: "长度包含帧头",
    max_frame: "最大帧长（字节）",
    close_on_oversize: "超长帧时断开",
    idle_ms: "间隔（毫秒）",
    empty: "为空",
    escapes: "转义符",
    escapes_hint: "文本中的 \\r \\n \\t \\\\ \\0 \\xHH",
    append: "追加",
    checksum: "校验",
    checksum_from: "起始字节",
    preview: "将发送：",
    history: "历史",
    send_tools: "发送工具",
    periodic: "定时发送",
    interval_ms: "间隔（毫秒）",
    times: "次数",
    until_stopped: "空：直到停止",
    start: "开始",
    stop: "停止",
    quick_commands: "快捷指令",
    add: "添加",
    edit: "编辑",
    delete: "删除",
    move_up: "上移",
    move_down: "下移",
    done: "完成",
    name: "名称",
    payload: "内容",
    then_wait_ms: "之后等待（毫秒）",
    run_sequence: "按顺序发送",
    loop_label: "循环",
    import: "导入…",
    export: "导出…",
    send_file: "发送文件",
    send_file_button: "开始发送文件",
    file: "文件",
    browse: "浏览…",
    drop_hint: "或把文件拖到窗口上",
    datagram_size: "数据报大小（字节）",
    datagram_gap: "数据报间隔（毫秒）",
    cancel: "取消",
    generator: "流量发生器",
    rate: "速率",
    rate_hint: "空：尽可能快",
    packets_per_sec: "包/秒",
    bytes_per_sec: "字节/秒",
    seconds: "秒数",
    no_limit: "空：不限",
    generator_hint: "发送发送框中的内容。",
    bad_seconds: "秒数：须为大于 0 的数字",
    session_not_open: "请先打开会话",
    all_settings: "设置…",
    all_settings_hint: "在此窗格中显示此会话的设置、对端列表和发送工具",
    compact_view: "紧凑视图",
    compact_view_hint: "只显示日志和一行发送框，如同小窗格",
    line_box_hint: "在此输入；回车发送",
    nothing_to_send: "没有要发送的内容：数据为空",
    no_quick_commands: "还没有快捷指令：请先添加",
    choose_file_first: "请先选择文件",
    invalid_escape: "转义符错误",
    stalled: "等待对方读取",
    resend: "再次发送",
    quick_file_error: "无法读取快捷指令",
    no_file_dialog: "无法打开文件对话框：此桌面没有文件选择服务\
        （带 GTK 或 KDE 后端的 xdg-desktop-portal，或 zenity；例如 `sudo apt install zenity`）。\
        可在此直接输入路径，或把文件拖到窗口上。",
    quick_file_path: "快捷指令文件（路径）",
    import_this_file: "导入此文件",
    export_to_this_file: "导出到此文件",
    quick_file_written: "快捷指令已保存到",
    quick_file_read: "快捷指令已读取自",
    empty_datagram: "（空数据报）",
    arrange_tabs: "全部为标签",
    arrange_side_by_side: "并排",
    arrange_grid: "网格",
    split_group: "分屏",
};

// A port refused for want of rights: below 1024 on Unix; on Windows any
// port can be taken, but WSAEACCES comes from a port that Windows reserves
// (Hyper-V, WSL and Docker reserve ranges) or that another program holds
// with SO_EXCLUSIVEADDRUSE.
#[cfg(not(windows))]
const PERMISSION_DENIED_EN: &str = "Permission denied (ports below 1024 need privileges)";
#[cfg(not(windows))]
const PERMISSION_DENIED_ZH: &str = "权限不足（1024 以下的端口需要特权）";
#[cfg(windows)]
const PERMISSION_DENIED_EN: &str = "Access denied: Windows reserves this port, or another program holds it exclusively (`netsh interface ipv4 show excludedportrange protocol=tcp` lists the reserved ports)";
#[cfg(windows)]
const PERMISSION_DENIED_ZH: &str = "访问被拒绝：该端口被 Windows 保留，或被另一个程序独占（用 `netsh interface ipv4 show excludedportrange protocol=tcp` 查看保留的端口）";

impl Tr {
    pub fn protocol_name(&self, p: Protocol) -> &'static str {
        match p {
            Protocol::TcpServer => self.tcp_server,
            Protocol::TcpClient => self.tcp_client,
            Protocol::Udp => self.udp,
            Protocol::Relay => self.relay,
            Protocol::UdpRelay => self.udp_relay,
            Protocol::UnixServer => self.unix_server,
            Protocol::UnixClient => self.unix_client,
            Protocol::UnixDgram => self.unix_dgram,
        }
    }

    pub fn is_zh(&self) -> bool {
        std::ptr::eq(self, &ZH)
    }

    pub fn error_kind(&self, k: NetErrorKind) -> &'static str {
        use NetErrorKind as K;
        let zh = self.is_zh();
        match (k, zh) {
            (K::AddrInUse, false) => "The port is already in use",
            (K::AddrInUse, true) => "端口已被占用",
            (K::PermissionDenied, false) => PERMISSION_DENIED_EN,
            (K::PermissionDenied, true) => PERMISSION_DENIED_ZH,
            (K::AddrNotAvailable, false) => "That address does not belong to this computer",
            (K::AddrNotAvailable, true) => "该地址不属于本机",
            (K::ConnectionRefused, false) => {
                "Connection refused: nothing is listening on that port"
            }
            (K::ConnectionRefused, true) => "连接被拒绝：对方端口没有程序在监听",
            (K::HostUnreachable, false) => "Host unreachable",
            (K::HostUnreachable, true) => "主机不可达",
            (K::NetworkUnreachable, false) => "Network unreachable",
            (K::NetworkUnreachable, true) => "网络不可达",
            (K::DnsFailure, false) => "Host name not found",
            (K::DnsFailure, true) => "无法解析主机名",
            (K::TimedOut, false) => "Timed out: no answer",
            (K::TimedOut, true) => "超时：对方无应答",
            (K::ConnectionReset, false) => "Connection reset by the peer",
            (K::ConnectionReset, true) => "连接被对方重置",
            (K::ConnectionAborted, false) => "Connection aborted",
            (K::ConnectionAborted, true) => "连接被中止",
            (K::BrokenPipe, false) => "Connection broken",
            (K::BrokenPipe, true) => "连接已断开",
            (K::InvalidAddress, false) => "Invalid address",
            (K::InvalidAddress, true) => "地址无效",
            (K::SendQueueFull, false) => "Send queue full: the peer is not reading",
            (K::SendQueueFull, true) => "发送队列已满：对方没有接收",
            (K::NoPeer, false) => "Nobody to send to",
            (K::NoPeer, true) => "没有可发送的对象",
            (K::TooManyOpenFiles, false) => "Too many open connections (descriptor limit reached)",
            (K::TooManyOpenFiles, true) => "打开的连接过多（已达文件描述符上限）",
            (K::Other, false) => "Error",
            (K::Other, true) => "错误",
        }
    }

    /// What the worker was doing, in words.
    pub fn op(&self, op: &Op) -> String {
        let zh = self.is_zh();
        match (op, zh) {
            (Op::Listen(a), false) => format!("listening on {a}"),
            (Op::Listen(a), true) => format!("监听 {a}"),
            (Op::BindUdp(a), false) => format!("binding UDP {a}"),
            (Op::BindUdp(a), true) => format!("绑定 UDP {a}"),
            (Op::Connect(a), false) => format!("connecting to {a}"),
            (Op::Connect(a), true) => format!("连接 {a}"),
            (Op::ConnectTo(h), false) => format!("connecting to {h}"),
            (Op::ConnectTo(h), true) => format!("连接 {h}"),
            (Op::Resolve(h), false) => format!("looking up {h}"),
            (Op::Resolve(h), true) => format!("解析 {h}"),
            (Op::Send(a), false) => format!("sending to {a}"),
            (Op::Send(a), true) => format!("发送到 {a}"),
            (Op::SendNowhere, false) => "sending".into(),
            (Op::SendNowhere, true) => "发送".into(),
            (Op::Read(a), false) => format!("receiving from {a}"),
            (Op::Read(a), true) => format!("接收 {a} 的数据"),
            (Op::Accept, false) => "accepting a client".into(),
            (Op::Accept, true) => "接受客户端连接".into(),
            (Op::UdpReceive, false) => "receiving UDP".into(),
            (Op::UdpReceive, true) => "接收 UDP 数据".into(),
            (Op::Start, false) => "starting the session".into(),
            (Op::Start, true) => "启动会话".into(),
            (Op::ReadFile(p), false) => format!("reading the file {p}"),
            (Op::ReadFile(p), true) => format!("读取文件 {p}"),
            (Op::WriteFile(p), false) => format!("writing the file {p}"),
            (Op::WriteFile(p), true) => format!("写入文件 {p}"),
            (Op::SetOption(o), false) => format!("setting {o}"),
            (Op::ListenUnix(p), false) => format!("listening on unix:{p}"),
            (Op::ListenUnix(p), true) => format!("监听 unix:{p}"),
            (Op::BindUnix(p), false) => format!("binding unix:{p}"),
            (Op::BindUnix(p), true) => format!("绑定 unix:{p}"),
            (Op::Join(g), false) => format!("joining group {g}"),
            (Op::Join(g), true) => format!("加入组播组 {g}"),
            (Op::Leave(g), false) => format!("leaving group {g}"),
            (Op::Leave(g), true) => format!("退出组播组 {g}"),
            (Op::SetOption(o), true) => format!("设置 {o}"),
        }
    }

    /// The detail of an error, in words (the system's own text as it is).
    pub fn detail(&self, d: &Detail) -> String {
        let zh = self.is_zh();
        match (d, zh) {
            (Detail::Os(s), _) => s.clone(),
            (Detail::NoAddress, false) => "no address found".into(),
            (Detail::NoAddress, true) => "找不到地址".into(),
            (Detail::Crashed(m), false) => format!(
                "NetPal's worker for this session failed ({m}); this is a bug in NetPal, and the other sessions go on"
            ),
            (Detail::Crashed(m), true) => {
                format!("此会话的工作线程出错（{m}）；这是 NetPal 的缺陷，其他会话不受影响")
            }
            (Detail::NotOnThisSystem, false) => "this system has no such option".into(),
            (Detail::NotASocket, false) => {
                "a file that is not a socket is at the path; NetPal leaves it alone".into()
            }
            (Detail::NotASocket, true) => "该路径已有一个不是套接字的文件，NetPal 不会动它".into(),
            (Detail::InUseByAnother, false) => "another program serves this socket".into(),
            (Detail::InUseByAnother, true) => "另一个程序正在使用这个套接字".into(),
            (Detail::StaleSocket, false) => {
                "a socket file left by a program that has ended is at the path".into()
            }
            (Detail::StaleSocket, true) => "该路径有一个已结束程序留下的套接字文件".into(),
            (Detail::NoInterface(n), false) => format!("no interface '{n}'"),
            (Detail::NoInterface(n), true) => format!("没有接口 '{n}'"),
            (Detail::WrongFamily, false) => {
                "the group is of the other IP version than the bound address (bind 0.0.0.0 for IPv4 groups, :: for IPv6)".into()
            }
            (Detail::WrongFamily, true) => {
                "组地址与绑定地址的 IP 版本不同（IPv4 组请绑定 0.0.0.0，IPv6 组请绑定 ::）".into()
            }
            (Detail::NotOnThisSystem, true) => "本系统没有这个选项".into(),
            (Detail::NoAnswer { secs }, false) => format!("no answer within {secs} s"),
            (Detail::NoAnswer { secs }, true) => format!("{secs} 秒内无应答"),
            (Detail::PeerNotReading { queued }, false) => {
                format!("{queued} bytes are waiting: the peer is not reading")
            }
            (Detail::PeerNotReading { queued }, true) => {
                format!("{queued} 字节待发送：对方没有接收")
            }
            (Detail::TooBigForUdp { len }, false) => {
                format!("{len} bytes is more than one UDP datagram can carry (65507)")
            }
            (Detail::TooBigForUdp { len }, true) => {
                format!("{len} 字节超过了单个 UDP 数据报的上限（65507）")
            }
            (Detail::QueueFull, false) => "the send queue is full".into(),
            (Detail::QueueFull, true) => "发送队列已满".into(),
            (Detail::NoRemote, false) => "no remote address".into(),
            (Detail::NoRemote, true) => "没有远程地址".into(),
            (Detail::NotConnected, false) => "not connected".into(),
            (Detail::NotConnected, true) => "未连接".into(),
            (Detail::Unsent { bytes }, false) => {
                format!("{bytes} bytes were not sent: the connection closed")
            }
            (Detail::Unsent { bytes }, true) => format!("{bytes} 字节未发出：连接已关闭"),
            (Detail::WriteShut, false) => "its write side is shut down".into(),
            (Detail::WriteShut, true) => "发送方向已关闭".into(),
            (Detail::ResetByPeer, false) => "reset by the peer".into(),
            (Detail::ResetByPeer, true) => "被对方重置".into(),
            (
                Detail::HeldBy {
                    port,
                    holders,
                    local,
                    listening,
                },
                _,
            ) => {
                let who: Vec<String> = holders
                    .iter()
                    .map(|(pid, name)| match name {
                        Some(n) => format!("{n} (PID {pid})"),
                        None => format!("PID {pid}"),
                    })
                    .collect();
                let who = who.join(", ");
                match (zh, listening) {
                    (true, true) => format!("端口 {port} 被 {who} 占用，正在监听 {local}"),
                    (true, false) => format!("端口 {port} 被 {who} 占用，绑定在 {local}"),
                    (false, true) => format!("port {port} is in use by {who}, listening on {local}"),
                    (false, false) => format!("port {port} is in use by {who}, bound to {local}"),
                }
            }
            (
                Detail::HeldByHidden {
                    port,
                    local,
                    listening,
                    uid,
                },
                _,
            ) => {
                let how = match (zh, listening) {
                    (true, true) => format!("正在监听 {local}"),
                    (true, false) => format!("绑定在 {local}"),
                    (false, true) => format!("listening on {local}"),
                    (false, false) => format!("bound to {local}"),
                };
                let uid = uid.filter(|u| Some(*u) != crate::net::ports::own_uid());
                match (zh, uid) {
                    (true, Some(u)) => format!(
                        "端口 {port} 被另一个用户（uid {u}）的进程占用，{how}；系统不告诉本用户是哪个程序（以该用户或管理员身份运行才能看到）"
                    ),
                    (true, None) => format!(
                        "端口 {port} 已被占用，{how}，但系统没有给出本用户可见的进程（可能属于其他用户或其他容器，或是尚未被接受的连接）"
                    ),
                    (false, Some(u)) => format!(
                        "port {port} is in use by a process of another user (uid {u}), {how}; the system will not say which to this user (run as that user or as an administrator to see it)"
                    ),
                    (false, None) => format!(
                        "port {port} is in use, {how}, but the system names no process this user can see (another user's or another container's, or a connection not yet accepted)"
                    ),
                }
            }
            (Detail::FileShrank { expected, got }, false) => {
                format!("the file shrank while it was sent ({got} of {expected} bytes read)")
            }
            (Detail::FileShrank { expected, got }, true) => {
                format!("发送过程中文件变短了（已读 {got} / {expected} 字节）")
            }
        }
    }

    /// A whole error: what went wrong, while doing what, and the detail.
    pub fn net_error(&self, e: &NetError) -> String {
        if self.is_zh() {
            format!(
                "{}——{}（{}）",
                self.error_kind(e.kind),
                self.op(&e.op),
                self.detail(&e.detail)
            )
        } else {
            format!(
                "{} — {} ({})",
                self.error_kind(e.kind),
                self.op(&e.op),
                self.detail(&e.detail)
            )
        }
    }

    pub fn close_reason(&self, r: &CloseReason) -> String {
        let zh = self.is_zh();
        match r {
            CloseReason::PeerClosed if zh => "对方关闭了连接".into(),
            CloseReason::PeerClosed => "closed by the peer".into(),
            CloseReason::Reset if zh => "连接被对方重置".into(),
            CloseReason::Reset => "reset by the peer".into(),
            CloseReason::ResetByUser if zh => "已由你重置（发送了 RST）".into(),
            CloseReason::ResetByUser => "reset by you (RST sent)".into(),
            CloseReason::ByUser if zh => "已主动断开".into(),
            CloseReason::ByUser => "disconnected by you".into(),
            CloseReason::BadFrame if zh => "帧长度超出上限，已断开".into(),
            CloseReason::BadFrame => "closed: a frame longer than the maximum".into(),
            CloseReason::LinkEnded if zh => "中继另一侧已结束，随之关闭".into(),
            CloseReason::LinkEnded => "closed: the other side of the link ended".into(),
            CloseReason::Cut { after, reset } => match (zh, reset) {
                (true, false) => format!("模拟断线：{after} 字节后关闭"),
                (true, true) => format!("模拟断线：{after} 字节后重置（RST）"),
                (false, false) => format!("cut by the impairment after {after} bytes (closed)"),
                (false, true) => format!("cut by the impairment after {after} bytes (reset)"),
            },
            // A relay's target that could not be reached: say which.
            CloseReason::Error(e) if matches!(e.op, crate::net::Op::Connect(_)) => format!(
                "{} ({}: {})",
                self.error_kind(e.kind),
                self.op(&e.op),
                self.detail(&e.detail)
            ),
            CloseReason::Error(e) => {
                format!("{} ({})", self.error_kind(e.kind), self.detail(&e.detail))
            }
        }
    }

    pub fn note_listening(&self, a: &str) -> String {
        if self.is_zh() {
            format!("正在监听 {a}")
        } else {
            format!("Listening on {a}")
        }
    }

    pub fn note_bound(&self, a: &str) -> String {
        if self.is_zh() {
            format!("已绑定 {a}")
        } else {
            format!("Bound to {a}")
        }
    }

    pub fn note_connecting(&self, a: &str) -> String {
        if self.is_zh() {
            format!("正在连接 {a} …")
        } else {
            format!("Connecting to {a}…")
        }
    }

    pub fn note_connected(&self, peer: &str, local: &str) -> String {
        if self.is_zh() {
            format!("已连接到 {peer}（本地 {local}）")
        } else {
            format!("Connected to {peer} from {local}")
        }
    }

    pub fn note_accepted(&self, peer: &str) -> String {
        if self.is_zh() {
            format!("客户端已连接：{peer}")
        } else {
            format!("Client connected: {peer}")
        }
    }

    pub fn note_linked(&self, peer: &str, target: &str, local: &str) -> String {
        if self.is_zh() {
            format!("{peer} 已接通目标 {target}（本地 {local}）")
        } else {
            format!("{peer} linked to target {target} (from {local})")
        }
    }

    /// The header of a relay's record from the target toward `peer`.
    pub fn from_target(&self, peer: &str) -> String {
        if self.is_zh() {
            format!("目标 → {peer}")
        } else {
            format!("target → {peer}")
        }
    }

    /// The header of bytes the user sent toward the target for `peer`.
    pub fn to_target(&self, peer: &str) -> String {
        if self.is_zh() {
            format!("目标（代 {peer}）")
        } else {
            format!("target (as {peer})")
        }
    }

    /// Socket options as read back from a socket.
    pub fn note_options(&self, peer: Option<&std::net::SocketAddr>, values: &str) -> String {
        match (peer, self.is_zh()) {
            (Some(p), true) => format!("{p} 的套接字选项（读回）：{values}"),
            (Some(p), false) => format!("Socket options of {p} (read back): {values}"),
            (None, true) => format!("套接字选项（读回）：{values}"),
            (None, false) => format!("Socket options (read back): {values}"),
        }
    }

    /// What was set right in the saved state at the start.
    pub fn repair(&self, r: &crate::session::Repair) -> String {
        use crate::session::Repair;
        match (r, self.is_zh()) {
            (Repair::SessionsLeftOut(n), false) => format!(
                "{n} saved session(s) could not be read (damaged, or of a kind this NetPal does not know) and were left out"
            ),
            (Repair::SessionsLeftOut(n), true) => {
                format!("有 {n} 个保存的会话无法读取（已损坏，或是本版本不认识的类型），已略过")
            }
            (Repair::LogCap { was, now }, false) => {
                format!("A saved log limit of {was} MiB made no sense; it is {now} MiB again")
            }
            (Repair::LogCap { was, now }, true) => {
                format!("保存的日志上限 {was} MiB 不合理，已恢复为 {now} MiB")
            }
            (Repair::Port { field, was, now }, zh) => {
                use crate::session::PortField;
                let name = match field {
                    PortField::Local => self.local_port,
                    PortField::Remote => self.remote_port,
                    PortField::Source => self.source_port,
                };
                match (zh, now.is_empty()) {
                    (false, false) => format!(
                        "{name}: the saved \"{was}\" is not a port (0 to 65535); it is {now} again"
                    ),
                    (false, true) => format!(
                        "{name}: the saved \"{was}\" is not a port (0 to 65535); it is empty again"
                    ),
                    (true, false) => {
                        format!("{name}：保存的“{was}”不是端口（0 到 65535），已恢复为 {now}")
                    }
                    (true, true) => format!("{name}：保存的“{was}”不是端口（0 到 65535），已清空"),
                }
            }
        }
    }

    /// A zone (`%eth0`) that names no interface.
    pub fn no_interface(&self, zone: &str) -> String {
        if self.is_zh() {
            format!("没有网络接口 '{zone}'（% 后面是链路本地地址所在的接口，如 fe80::1%eth0）")
        } else {
            format!(
                "no network interface '{zone}' (after % comes the interface of a link-local address, e.g. fe80::1%eth0)"
            )
        }
    }

    /// Why a group typed in the form is not one.
    pub fn join_error(&self, e: &crate::net::multicast::JoinError) -> String {
        use crate::net::multicast::JoinError as J;
        match (e, self.is_zh()) {
            (J::NotAnAddress(s), false) => format!("'{s}' is not a group address"),
            (J::NotAnAddress(s), true) => format!("'{s}' 不是组播组地址"),
            (J::NotMulticast(ip), false) => {
                format!("{ip} is not a multicast address (224.0.0.0/4 for IPv4, ff00::/8 for IPv6)")
            }
            (J::NotMulticast(ip), true) => {
                format!("{ip} 不是组播地址（IPv4 为 224.0.0.0/4，IPv6 为 ff00::/8）")
            }
        }
    }

    /// A multicast group joined or left.
    pub fn note_membership(&self, group: &str, via: &str, joined: bool) -> String {
        let on = if via.is_empty() {
            String::new()
        } else if self.is_zh() {
            format!("（接口 {via}）")
        } else {
            format!(" on {via}")
        };
        match (joined, self.is_zh()) {
            (true, true) => format!("已加入组播组 {group}{on}"),
            (true, false) => format!("Joined multicast group {group}{on}"),
            (false, true) => format!("已退出组播组 {group}{on}"),
            (false, false) => format!("Left multicast group {group}{on}"),
        }
    }

    /// A TCP client's wait before it connects again.
    pub fn reconnecting_in(&self, secs: u64, attempt: u32) -> String {
        if self.is_zh() {
            format!("{secs} 秒后重连（第 {attempt} 次）")
        } else {
            format!("Reconnecting in {secs} s (attempt {attempt})")
        }
    }

    /// How much an export wrote: records, or lines of a text export.
    pub fn exported_count(&self, n: usize, lines: bool) -> String {
        let n_text = crate::ui::thousands(n as u64);
        match (self.is_zh(), lines, n) {
            (true, true, _) => format!("{n_text} 行"),
            (true, false, _) => format!("{n_text} 条记录"),
            (false, true, 1) => "1 line".into(),
            (false, true, _) => format!("{n_text} lines"),
            (false, false, 1) => "1 record".into(),
            (false, false, _) => format!("{n_text} records"),
        }
    }

    /// A peer's FIN: passed on by a relay, answered before closing, or
    /// kept open for sending.
    pub fn note_read_shut(&self, peer: &str, then: crate::net::FinThen) -> String {
        use crate::net::FinThen;
        match (self.is_zh(), then) {
            (true, FinThen::PassedOn) => {
                format!("{peer} 关闭了发送方向（收到 FIN），已转给另一侧")
            }
            (false, FinThen::PassedOn) => {
                format!("{peer} closed its side (FIN received); passed on")
            }
            (true, FinThen::CloseWhenAnswered) => {
                format!("{peer} 关闭了发送方向（收到 FIN）；发完待发的应答后断开")
            }
            (false, FinThen::CloseWhenAnswered) => format!(
                "{peer} closed its side (FIN received); it still reads: what waits for it is sent, then the connection closes"
            ),
            (true, FinThen::KeptOpen) => {
                format!("{peer} 关闭了发送方向（收到 FIN）；连接保持打开，仍可向它发送")
            }
            (false, FinThen::KeptOpen) => format!(
                "{peer} closed its side (FIN received); kept open: you can still send to it"
            ),
        }
    }

    pub fn note_target_write_shut(&self, peer: &str) -> String {
        if self.is_zh() {
            format!("已把 {peer} 的 FIN 转给目标；目标仍可回复")
        } else {
            format!("FIN passed on to the target for {peer}; it can still answer")
        }
    }

    pub fn note_target_read_shut(&self, peer: &str) -> String {
        if self.is_zh() {
            format!("目标关闭了发往 {peer} 的方向（收到 FIN），已转给 {peer}")
        } else {
            format!("The target closed its side toward {peer} (FIN received); passed on")
        }
    }

    pub fn note_write_shut(&self, peer: &str) -> String {
        if self.is_zh() {
            format!("已关闭到 {peer} 的发送方向（已发送 FIN），仍在接收")
        } else {
            format!("Write side to {peer} shut down (FIN sent); still receiving")
        }
    }

    pub fn note_disconnected(&self, peer: &str, reason: &str) -> String {
        if self.is_zh() {
            format!("{peer} 已断开：{reason}")
        } else {
            format!("{peer} disconnected: {reason}")
        }
    }

    /// `cap` is this log's limit, `total` the limit of all logs together.
    pub fn dropped_notice(&self, n: u64, bytes: &str, cap: &str, total: &str) -> String {
        if self.is_zh() {
            format!(
                "为保持日志上限（本会话 {cap}，所有会话共 {total}），已丢弃 {n} 条较早的记录（{bytes}）。计数不受影响。"
            )
        } else {
            format!(
                "{n} older records ({bytes}) dropped to keep this log under {cap} and all logs under {total}. Counters are exact."
            )
        }
    }

    pub fn clients_title(&self, n: usize) -> String {
        format!("{} ({n})", self.clients)
    }

    pub fn selected_count(&self, n: usize) -> String {
        format!("{} ({n})", self.selected_clients)
    }

    pub fn use_peer_as_remote(&self, peer: &str) -> String {
        if self.is_zh() {
            format!("将 {peer} 设为远程")
        } else {
            format!("Use {peer} as remote")
        }
    }

    pub fn hex_error(&self, e: &crate::codec::HexError) -> String {
        use crate::codec::HexError;
        match (e, self.is_zh()) {
            (HexError::InvalidChar { at, ch }, true) => {
                format!("第 {} 个字符 '{ch}' 不是十六进制数字", at + 1)
            }
            (HexError::OddDigits { at, len }, true) => {
                format!(
                    "从第 {} 个字符开始的一组有奇数个十六进制数字 ({len})",
                    at + 1
                )
            }
            (e, false) => e.to_string(),
        }
    }

    pub fn encode_error(&self, e: &crate::codec::EncodeError) -> String {
        if self.is_zh() {
            format!(
                "第 {} 个字符 '{}' 无法用 {} 编码",
                e.at + 1,
                e.ch,
                e.encoding
            )
        } else {
            e.to_string()
        }
    }

    pub fn open_sessions(&self, open: usize, all: usize) -> String {
        if self.is_zh() {
            format!("会话 {open}/{all} 已打开")
        } else {
            format!("{open} of {all} sessions open")
        }
    }

    pub fn close_tab_named(&self, name: &str) -> String {
        format!("{} {name}", self.close_tab)
    }

    pub fn unread_count(&self, n: u64) -> String {
        if self.is_zh() {
            format!("{n} 新")
        } else {
            format!("{n} new")
        }
    }

    pub fn too_big_for_udp(&self, len: usize) -> String {
        self.detail(&Detail::TooBigForUdp { len })
    }

    /// A form field's name, as its label says it.
    pub fn field(&self, f: crate::session::Field) -> &'static str {
        use crate::session::Field as F;
        match f {
            F::LocalPort => self.local_port,
            F::LocalAddr => self.local_addr,
            F::RemoteHost => self.remote_host,
            F::RemotePort => self.remote_port,
            F::SourcePort => self.source_port,
            F::ConnectTimeout => self.connect_timeout,
            F::UnixPath => self.unix_path,
            F::UnixServerPath => self.unix_server_path,
            F::UnixRemotePath => self.unix_remote_path,
            F::Multicast => self.multicast,
            F::RecvBuf => self.opt_rcvbuf,
            F::SendBuf => self.opt_sndbuf,
            F::Ttl => self.opt_ttl,
            F::Linger => self.opt_linger,
            F::McastTtl => self.opt_mcast_ttl,
            F::KeepaliveTimes => self.opt_keepalive_times,
            F::DelimiterHex => self.delimiter_hex,
            F::FrameLength => self.frame_length,
            F::LengthOffset => self.length_offset,
            F::MaxFrame => self.max_frame,
            F::IdleMs => self.idle_ms,
            F::IntervalMs => self.interval_ms,
            F::Times => self.times,
            F::DatagramSize => self.datagram_size,
            F::DatagramGap => self.datagram_gap,
            F::Rate => self.rate,
            F::Split => self.send_split(),
            F::Join => self.send_join(),
        }
    }

    /// What is wrong, in words.
    pub fn problem(&self, p: &crate::session::Problem) -> String {
        use crate::codec::PayloadError;
        use crate::session::Problem as P;
        match p {
            P::In(f, p) => format!("{}: {}", self.field(*f), self.problem(p)),
            P::BadPort => self.bad_port.into(),
            P::BadHost => self.bad_host.into(),
            P::BadLocalAddr => self.bad_local_addr.into(),
            P::NoInterface(zone) => self.no_interface(zone),
            P::BadTimeout => self.bad_timeout.into(),
            P::PathNeeded => self.path_needed.into(),
            P::BadOptionValue => self.bad_option_value.into(),
            P::Empty => self.empty.into(),
            P::Hex(e) => self.hex_error(e),
            P::Join(e) => self.join_error(e),
            P::RemoteNeeded => self.remote_needed.into(),
            P::BadNumber { field, min, max } => self.bad_number(self.field(*field), *min, *max),
            P::BadSeconds => self.bad_seconds.into(),
            P::BadSlice => if self.is_zh() {
                "应为 N[-M][/间隔]：每片 1 到 1048576 字节（1/20ms、5-50/10ms）"
            } else {
                "write N[-M][/GAP]: pieces of 1 to 1048576 bytes (1/20ms, 5-50/10ms)"
            }
            .into(),
            P::Payload(PayloadError::Hex(h)) => {
                format!("{}: {}", self.invalid_hex, self.hex_error(h))
            }
            P::Payload(PayloadError::Encode(c)) => {
                format!("{}: {}", self.cannot_encode, self.encode_error(c))
            }
            P::Payload(PayloadError::Escape(x)) => {
                format!("{}: {}", self.invalid_escape, self.escape_error(x))
            }
            P::Payload(PayloadError::ChecksumStart { from, len }) => {
                self.checksum_start_error(*from, *len)
            }
            P::TooBigForUdp(len) => self.too_big_for_udp(*len),
            P::NothingToSend => self.nothing_to_send.into(),
            P::SessionNotOpen => self.session_not_open.into(),
            P::ChooseFileFirst => self.choose_file_first.into(),
            P::NoQuickCommands => self.no_quick_commands.into(),
            P::NoClientSelected => self.no_client_selected.into(),
            P::Quick { name, index, why } => self.quick_error(name, *index, &self.problem(why)),
            P::File { path, error } => format!("{}: {error}", path.display()),
            P::System(e) => e.clone(),
            P::Impair {
                toward_target,
                error,
            } => {
                let side = self.impair_side(*toward_target);
                if self.is_zh() {
                    let takes = match error.option.as_str() {
                        "delay" | "jitter" => "0 到 60 秒的时间（200ms、1.5s）",
                        "merge" => "1 毫秒到 60 秒的时间（50ms）",
                        "rate" => "不小于 1 B/s 的速率（500B/s、64kB/s、1MB/s）",
                        "slice" => "N[-M][/间隔]：每片 1 到 1048576 字节（1/20ms、5-50/10ms）",
                        "loss" | "dup" | "reorder" | "corrupt" => "0% 到 100% 的比例（5%、0.1%）",
                        "cut" => "不小于 1 的字节数，可加 :reset 或 :close（4096、4096:reset）",
                        _ => "",
                    };
                    format!("{side}：{}={}：应为{takes}", error.option, error.value)
                } else {
                    format!("{side}: {error}")
                }
            }
        }
    }

    /// The impairment section's title: what it offers for the relay kind.
    pub fn impair_title(&self, udp: bool) -> &'static str {
        match (self.is_zh(), udp) {
            (true, false) => "模拟弱网（延迟、分包/粘包、断线）",
            (true, true) => "模拟弱网（延迟、丢包、乱序）",
            (false, false) => "Bad network on purpose (delay, 分包/粘包, cut)",
            (false, true) => "Bad network on purpose (delay, loss, reorder)",
        }
    }

    pub fn impair_on(&self) -> &'static str {
        if self.is_zh() {
            "启用"
        } else {
            "Impair what passes"
        }
    }

    pub fn impair_hint(&self) -> &'static str {
        if self.is_zh() {
            "对经过中继的数据施加延迟、限速、分片、合并、损坏或断线，每个方向分别设置；修改立即作用于之后转发的数据"
        } else {
            "Delay, cap, slice, merge, corrupt or cut what the relay passes on, each direction on its own; a change applies to what is forwarded next"
        }
    }

    /// An impairment option's name in the form.
    pub fn impair_option(&self, key: &str) -> &'static str {
        match (self.is_zh(), key) {
            (true, "delay") => "延迟",
            (true, "jitter") => "抖动（±）",
            (true, "rate") => "带宽上限",
            (true, "slice") => "分包：每片字节数[/间隔]",
            (true, "merge") => "粘包：合并窗口",
            (true, "loss") => "丢包",
            (true, "dup") => "重复",
            (true, "reorder") => "乱序",
            (true, "corrupt") => "损坏（字节比例）",
            (true, "cut") => "断线：N 字节后[:reset]",
            (true, "order") => "保持顺序（抖动不乱序）",
            (false, "delay") => "Delay",
            (false, "jitter") => "Jitter (±)",
            (false, "rate") => "Bandwidth cap",
            (false, "slice") => "Slice (分包): bytes a piece[/gap]",
            (false, "merge") => "Merge (粘包): window",
            (false, "loss") => "Loss",
            (false, "dup") => "Duplicate",
            (false, "reorder") => "Reorder",
            (false, "corrupt") => "Corrupt (share of bytes)",
            (false, "cut") => "Cut after N bytes[:reset]",
            (false, "order") => "Keep order (jitter never reorders)",
            _ => "",
        }
    }

    /// An example value of an impairment option (the field's hint).
    pub fn impair_example(&self, key: &str) -> &'static str {
        match key {
            "delay" => "200ms",
            "jitter" => "20ms",
            "rate" => "64kB/s",
            "slice" => "1/20ms",
            "merge" => "50ms",
            "loss" | "reorder" => "5%",
            "dup" => "1%",
            "corrupt" => "0.1%",
            "cut" => "4096:reset",
            "order" => "keep",
            _ => "",
        }
    }

    /// What a direction's impairments did, the effects that did anything.
    pub fn impair_counts(&self, c: &crate::net::impair::ImpairCounts) -> String {
        let zh = self.is_zh();
        let mut parts = Vec::new();
        let mut add = |n: u64, en: &str, zhw: &str| {
            if n > 0 {
                let n = crate::ui::thousands(n);
                parts.push(if zh {
                    format!("{zhw} {n}")
                } else {
                    format!("{n} {en}")
                });
            }
        };
        add(c.delayed, "delayed", "延迟");
        add(c.pieces, "pieces", "分片");
        add(c.merged, "merged", "合并");
        add(c.corrupted, "bytes corrupted", "损坏字节");
        add(c.dropped, "dropped", "丢弃");
        add(c.duplicated, "duplicated", "重复");
        add(c.reordered, "reordered", "乱序");
        add(c.cut, "cut", "断线");
        if c.paced > 0 {
            let b = crate::ui::human_bytes(c.paced);
            parts.push(if zh {
                format!("限速 {b}")
            } else {
                format!("{b} paced")
            });
        }
        parts.join(" · ")
    }

    /// Bytes an impairment held, passed on now.
    pub fn note_held(
        &self,
        peer: &str,
        toward_target: bool,
        bytes: usize,
        after: std::time::Duration,
    ) -> String {
        let ms = after.as_secs_f64() * 1000.0;
        match (self.is_zh(), toward_target) {
            (true, true) => format!("模拟延迟：{bytes} 字节滞留 {ms:.0} ms 后转发给目标 {peer}"),
            (true, false) => format!("模拟延迟：{bytes} 字节滞留 {ms:.0} ms 后转发给客户端 {peer}"),
            (false, true) => {
                format!("Held {ms:.0} ms on purpose: {bytes} bytes passed on to the target {peer}")
            }
            (false, false) => {
                format!("Held {ms:.0} ms on purpose: {bytes} bytes passed on to the client {peer}")
            }
        }
    }

    /// A datagram an impairment dropped.
    pub fn note_dropped(&self, peer: &str, toward_target: bool, bytes: usize) -> String {
        match (self.is_zh(), toward_target) {
            (true, true) => format!("模拟丢包：发往目标 {peer} 的 {bytes} 字节数据报被丢弃"),
            (true, false) => format!("模拟丢包：发往客户端 {peer} 的 {bytes} 字节数据报被丢弃"),
            (false, true) => {
                format!("Dropped on purpose: a datagram of {bytes} bytes toward the target {peer}")
            }
            (false, false) => {
                format!("Dropped on purpose: a datagram of {bytes} bytes toward the client {peer}")
            }
        }
    }

    /// The impairment in effect, in the spec's words, per direction.
    pub fn note_impairment(&self, m: &crate::net::impair::Impairment) -> String {
        use crate::net::impair::OPTIONS;
        let zh = self.is_zh();
        if !m.on {
            return if zh {
                "模拟弱网已关闭"
            } else {
                "Bad network on purpose: off"
            }
            .into();
        }
        let side = |d: &crate::net::impair::Impair| {
            let parts: Vec<String> = OPTIONS
                .iter()
                .map(|k| (k, d.text(k)))
                .filter(|(_, t)| !t.is_empty())
                .map(|(k, t)| format!("{k}={t}"))
                .collect();
            if parts.is_empty() {
                if zh { "无" } else { "nothing" }.to_string()
            } else {
                parts.join(", ")
            }
        };
        if zh {
            format!(
                "模拟弱网：发往目标 {}；发往客户端 {}",
                side(&m.up),
                side(&m.down)
            )
        } else {
            format!(
                "Bad network on purpose: to the target {}; to the client {}",
                side(&m.up),
                side(&m.down)
            )
        }
    }

    /// The send box's split field ("Split each send").
    pub fn send_split(&self) -> &'static str {
        if self.is_zh() {
            "分包发送"
        } else {
            "Split each send"
        }
    }

    /// The send box's join field ("Join sends").
    pub fn send_join(&self) -> &'static str {
        if self.is_zh() {
            "合并发送（条）"
        } else {
            "Join sends"
        }
    }

    pub fn send_split_hint(&self) -> &'static str {
        if self.is_zh() {
            "每次发送切成 N 字节（或 N 到 M 字节）的小片，片间隔 GAP，分别写出（UDP 每片一个数据报），对方收到分包；例如 1/20ms"
        } else {
            "Cut each send into pieces of N bytes (or N to M), GAP apart, each its own write (on UDP, its own datagram), so the peer sees 分包; e.g. 1/20ms"
        }
    }

    pub fn send_join_hint(&self) -> &'static str {
        if self.is_zh() {
            "攒够这么多次发送后合为一次写出（UDP 合为一个数据报），对方收到粘包；空：每次单独写出"
        } else {
            "Hold sends until this many have come, then write them as one (on UDP, one datagram), so the peer sees 粘包; empty: each alone"
        }
    }

    /// A relay's direction, as the impairment form names it.
    pub fn impair_side(&self, toward_target: bool) -> &'static str {
        match (self.is_zh(), toward_target) {
            (true, true) => "发往目标",
            (true, false) => "发往客户端",
            (false, true) => "To the target",
            (false, false) => "To the client",
        }
    }

    /// A relay's impairment flipped bits: which bytes of the direction's
    /// stream, what they were and became.
    pub fn note_corrupted(
        &self,
        peer: &str,
        toward_target: bool,
        flipped: &[crate::net::impair::Flipped],
        total: usize,
    ) -> String {
        let zh = self.is_zh();
        let bytes: Vec<String> = flipped
            .iter()
            .map(|f| {
                if zh {
                    format!("第 {} 字节 {:02X}→{:02X}", f.offset, f.was, f.now)
                } else {
                    format!("byte {} {:02X}→{:02X}", f.offset, f.was, f.now)
                }
            })
            .collect();
        let more = total.saturating_sub(flipped.len());
        match (zh, toward_target) {
            (true, t) => format!(
                "模拟损坏：发往{} {peer} 的 {total} 个字节被翻转一位：{}{}",
                if t { "目标" } else { "客户端" },
                bytes.join("，"),
                if more > 0 {
                    format!("，另有 {more} 个")
                } else {
                    String::new()
                }
            ),
            (false, t) => format!(
                "Corrupted on purpose: {total} byte(s) toward {} {peer} had a bit flipped: {}{}",
                if t { "the target" } else { "the client" },
                bytes.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            ),
        }
    }

    /// What an export wrote: "Exported to PATH (21 records)".
    pub fn exported_text(&self, e: &crate::session::Exported) -> String {
        format!(
            "{} {} ({})",
            self.exported,
            e.path.display(),
            self.exported_count(e.count, e.lines)
        )
    }

    /// A number field out of range.
    pub fn bad_number(&self, field: &str, min: u64, max: u64) -> String {
        let max = if max == u64::MAX {
            String::new()
        } else {
            crate::ui::thousands(max)
        };
        match (self.is_zh(), max.is_empty()) {
            (true, true) => format!("{field}：须为不小于 {min} 的整数"),
            (true, false) => format!("{field}：须为 {min} 到 {max} 的整数"),
            (false, true) => format!("{field}: a whole number of at least {min}"),
            (false, false) => format!("{field}: a whole number from {min} to {max}"),
        }
    }

    /// A quick command that cannot be sent, by name (or number).
    pub fn quick_error(&self, name: &str, i: usize, e: &str) -> String {
        let who = if name.trim().is_empty() {
            format!("#{}", i + 1)
        } else {
            format!("“{name}”")
        };
        if self.is_zh() {
            format!("快捷指令 {who}：{e}")
        } else {
            format!("Quick command {who}: {e}")
        }
    }

    pub fn escape_error(&self, e: &crate::codec::EscapeError) -> String {
        use crate::codec::EscapeError;
        match (e, self.is_zh()) {
            (EscapeError::Unknown { at, ch }, true) => {
                format!("第 {} 个字符处的 '\\{ch}' 不是转义符", at + 1)
            }
            (EscapeError::BadHex { at }, true) => {
                format!(
                    "第 {} 个字符处的 '\\x' 后须有两位十六进制数字（如 \\x0D）",
                    at + 1
                )
            }
            (EscapeError::Trailing { at }, true) => {
                format!("第 {} 个字符处的 '\\' 后面没有内容", at + 1)
            }
            (e, false) => e.to_string(),
        }
    }

    pub fn checksum_start_error(&self, from: usize, len: usize) -> String {
        if self.is_zh() {
            format!("校验从第 {from} 字节开始，但数据只有 {len} 字节")
        } else {
            format!("the checksum starts at byte {from}, but the payload has only {len} bytes")
        }
    }

    /// "N bytes" under the preview.
    pub fn byte_count(&self, n: usize) -> String {
        if self.is_zh() {
            format!("{} 字节", crate::ui::thousands(n as u64))
        } else if n == 1 {
            "1 byte".into()
        } else {
            format!("{} bytes", crate::ui::thousands(n as u64))
        }
    }

    pub fn job_name(&self, slot: crate::log::JobSlot) -> &'static str {
        use crate::log::JobSlot;
        match slot {
            JobSlot::Periodic => self.periodic,
            JobSlot::Sequence => self.run_sequence,
            JobSlot::File => self.send_file,
            JobSlot::Generator => self.generator,
        }
    }

    /// A running job: "sent 12 (1.2 KiB; 3.4 KiB/s, 40/s)", or a file's
    /// share, with the current rates.
    pub fn job_running(
        &self,
        items: u64,
        bytes: u64,
        total: Option<u64>,
        (per_sec, bytes_per_sec): (f64, f64),
    ) -> String {
        let b = crate::ui::human_bytes(bytes);
        let r = crate::ui::human_bytes(bytes_per_sec as u64);
        let p = crate::ui::thousands(per_sec as u64);
        let n = crate::ui::thousands(items);
        match (total, self.is_zh()) {
            (Some(t), true) => format!("{b} / {}（{r}/秒）", crate::ui::human_bytes(t)),
            (Some(t), false) => format!("{b} of {} ({r}/s)", crate::ui::human_bytes(t)),
            (None, true) => format!("已发送 {n} 次（{b}；{r}/秒，{p} 次/秒）"),
            (None, false) => format!("sent {n} ({b}; {r}/s, {p}/s)"),
        }
    }

    /// How a job ended, in one line. `items` false: a file, where the
    /// pieces it was sent in mean nothing. A job too quick to time has no
    /// rate.
    pub fn job_ended(
        &self,
        tally: &crate::net::JobTally,
        items: bool,
        end: &crate::net::JobEnd,
    ) -> String {
        use crate::net::JobEnd;
        let zh = self.is_zh();
        let b = crate::ui::human_bytes(tally.bytes);
        let when = match (tally.per_sec(), zh) {
            (Some((_, rate)), true) => format!(
                "{:.2} 秒，{}/秒",
                tally.elapsed.as_secs_f64(),
                crate::ui::human_bytes(rate as u64)
            ),
            (Some((_, rate)), false) => format!(
                "in {:.2} s, {}/s",
                tally.elapsed.as_secs_f64(),
                crate::ui::human_bytes(rate as u64)
            ),
            (None, true) => "不到 0.01 秒".to_string(),
            (None, false) => "in under 0.01 s".to_string(),
        };
        let n = crate::ui::thousands(tally.items);
        let what = match (items, zh) {
            (true, true) => format!("{n} 次，{b}，{when}"),
            (true, false) => format!("{n} sends, {b} {when}"),
            (false, true) => format!("{b}，{when}"),
            (false, false) => format!("{b} {when}"),
        };
        match (end, zh) {
            (JobEnd::Done, true) => format!("完成：{what}"),
            (JobEnd::Done, false) => format!("Done: {what}"),
            (JobEnd::Stopped, true) => format!("已停止：{what}"),
            (JobEnd::Stopped, false) => format!("Stopped: {what}"),
            (JobEnd::Failed(e), true) => format!("失败（{what}）：{}", self.net_error(e)),
            (JobEnd::Failed(e), false) => format!("Failed ({what}): {}", self.net_error(e)),
        }
    }

    pub fn frame_note(&self, peer: &str, note: &crate::net::FrameNote) -> String {
        use crate::net::FrameNote;
        match (note, self.is_zh()) {
            (FrameNote::Partial { bytes }, true) => {
                format!("来自 {peer} 的不完整帧：{bytes} 字节")
            }
            (FrameNote::Partial { bytes }, false) => {
                format!("Partial frame from {peer}: {bytes} bytes, not a whole frame")
            }
            (
                FrameNote::Oversize {
                    claimed,
                    max,
                    closing,
                },
                true,
            ) => format!(
                "{peer}：帧头声明 {claimed} 字节，超过上限 {max}；{}",
                if *closing {
                    "断开连接"
                } else {
                    "跳到下一个合适的帧"
                }
            ),
            (
                FrameNote::Oversize {
                    claimed,
                    max,
                    closing,
                },
                false,
            ) => format!(
                "{peer}: a frame header claims {claimed} bytes, more than the maximum {max}; {}",
                if *closing {
                    "closing the connection"
                } else {
                    "skipping to the next frame that fits"
                }
            ),
        }
    }

    pub fn capture_ended(&self, path: &str, written: u64, error: Option<&NetError>) -> String {
        let n = crate::ui::thousands(written);
        match (error, self.is_zh()) {
            (None, true) => format!("保存到 {path} 已结束：写入 {n} 字节"),
            (None, false) => format!("Capture to {path} ended: {n} bytes written"),
            (Some(e), true) => format!("保存已停止（写入 {n} 字节）：{}", self.net_error(e)),
            (Some(e), false) => format!("Capture stopped after {n} bytes: {}", self.net_error(e)),
        }
    }

    pub fn reply_hits(&self, n: u64) -> String {
        if self.is_zh() {
            format!("已应答 {} 次", crate::ui::thousands(n))
        } else {
            format!("{} answered", crate::ui::thousands(n))
        }
    }

    pub fn rule_error(&self, e: &crate::codec::RuleError) -> String {
        use crate::codec::{PayloadError, RuleError};
        let payload = |p: &PayloadError| match p {
            PayloadError::Hex(h) => format!("{}: {}", self.invalid_hex, self.hex_error(h)),
            PayloadError::Encode(c) => format!("{}: {}", self.cannot_encode, self.encode_error(c)),
            PayloadError::Escape(x) => format!("{}: {}", self.invalid_escape, self.escape_error(x)),
            PayloadError::ChecksumStart { from, len } => self.checksum_start_error(*from, *len),
        };
        match e {
            RuleError::EmptyPattern => format!("{}: {}", self.pattern, self.empty),
            RuleError::Pattern(p) => format!("{}: {}", self.pattern, payload(p)),
            RuleError::Regex(r) => format!("{}: {r}", self.match_regex),
            RuleError::Reply(p) => format!("{}: {}", self.reply_text, payload(p)),
        }
    }

    pub fn matches(&self, n: u64) -> String {
        if self.is_zh() {
            format!("{} 处匹配", crate::ui::thousands(n))
        } else if n == 1 {
            "1 match".into()
        } else {
            format!("{} matches", crate::ui::thousands(n))
        }
    }
}

/// The Ports pane's words.
impl Tr {
    fn pick(&self, en: &'static str, zh: &'static str) -> &'static str {
        if self.is_zh() { zh } else { en }
    }

    pub fn ports_button(&self) -> &'static str {
        self.pick("Ports", "端口")
    }

    pub fn ports_hint(&self) -> &'static str {
        self.pick(
            "Every TCP and UDP socket of this machine: who holds a port, which port a client got, what is listening where",
            "本机所有 TCP 和 UDP 套接字：谁占用了端口、客户端拿到了哪个端口、谁在哪个地址上监听",
        )
    }

    pub fn ports_filter(&self) -> &'static str {
        self.pick("Filter ports", "筛选端口")
    }

    pub fn ports_filter_hint(&self) -> &'static str {
        self.pick(
            "port, PID, address, process or state",
            "端口、PID、地址、进程名或状态",
        )
    }

    pub fn ports_close(&self) -> &'static str {
        self.pick("Close the Ports pane", "关闭端口面板")
    }

    pub fn ports_reading(&self) -> &'static str {
        self.pick("Reading the system's sockets…", "正在读取系统的套接字…")
    }

    /// How many sockets there are, and how many the filter shows.
    pub fn ports_count(&self, live: usize, shown: usize) -> String {
        if self.is_zh() {
            format!("{live} 个套接字，显示 {shown} 个")
        } else {
            format!("{live} sockets, {shown} shown")
        }
    }

    /// The system's ephemeral port range.
    pub fn ports_range(&self, r: Option<crate::net::ports::EphemeralRange>) -> String {
        match (self.is_zh(), r) {
            (true, Some(r)) if r.read => format!("临时端口范围 {}–{}", r.low, r.high),
            (true, Some(r)) => format!("临时端口范围 {}–{}（系统默认值）", r.low, r.high),
            (false, Some(r)) if r.read => format!("Ephemeral ports {}–{}", r.low, r.high),
            (false, Some(r)) => format!(
                "Ephemeral ports {}–{} (the system's default)",
                r.low, r.high
            ),
            (true, None) => "临时端口范围未知".into(),
            (false, None) => "Ephemeral range not known".into(),
        }
    }

    pub fn ports_took(&self, d: std::time::Duration) -> String {
        let ms = d.as_secs_f64() * 1000.0;
        if self.is_zh() {
            format!("读取用时 {ms:.0} ms")
        } else {
            format!("read in {ms:.0} ms")
        }
    }

    pub fn ports_unreadable(&self, e: &str) -> String {
        if self.is_zh() {
            format!("部分套接字无法读取：{e}")
        } else {
            format!("Some sockets could not be read: {e}")
        }
    }

    /// The table's column titles.
    pub fn ports_columns(&self) -> [&'static str; 8] {
        if self.is_zh() {
            [
                "协议",
                "本地地址",
                "远程地址",
                "状态",
                "临时端口",
                "PID",
                "进程",
                "操作",
            ]
        } else {
            [
                "Protocol",
                "Local address",
                "Remote address",
                "State",
                "Ephemeral",
                "PID",
                "Process",
                "Actions",
            ]
        }
    }

    pub fn ports_connect(&self) -> &'static str {
        self.pick("Connect a TCP client here", "在此连接 TCP 客户端")
    }

    pub fn ports_udp(&self) -> &'static str {
        self.pick("Send from a UDP session", "用 UDP 会话发往此处")
    }

    pub fn ports_show_session(&self) -> &'static str {
        self.pick("Show its session", "转到其会话")
    }

    pub fn ports_copy(&self) -> &'static str {
        self.pick("Copy address", "复制地址")
    }

    /// A socket the system lists without a process this user can see: of
    /// another user, or of none (waiting to be accepted, closing).
    pub fn ports_hidden(&self, uid: Option<u32>) -> String {
        let other = uid.filter(|u| Some(*u) != crate::net::ports::own_uid());
        match (self.is_zh(), other) {
            (true, Some(u)) => format!("其他用户（uid {u}）"),
            (false, Some(u)) => format!("another user's (uid {u})"),
            (true, None) => "（无可见进程）".into(),
            (false, None) => "(no process in sight)".into(),
        }
    }

    /// How a TCP connection is doing, in one line; a zero peer window
    /// comes first, in words.
    pub fn health(&self, h: &crate::net::health::TcpHealth) -> String {
        use crate::ui::human_bytes;
        let zh = self.is_zh();
        let b = |n: u32| human_bytes(u64::from(n));
        let ms = |us: u32| format!("{:.2} ms", f64::from(us) / 1000.0);
        let mut parts = Vec::new();
        if h.peer_window == Some(0) {
            parts.push(if zh {
                "对方接收窗口为 0：它没有在读".to_string()
            } else {
                "the peer's window is zero: it reads nothing".to_string()
            });
        }
        let mut rtt = format!("RTT {}", ms(h.rtt_us));
        if let Some(v) = h.rtt_var_us {
            rtt.push_str(&format!(" ±{}", ms(v)));
        }
        parts.push(rtt);
        let mut add = |v: Option<String>, en: &str, cn: &str| {
            if let Some(v) = v {
                parts.push(format!("{} {v}", if zh { cn } else { en }));
            }
        };
        add(h.in_flight.map(b), "in flight", "在途");
        add(h.cwnd.map(b), "cwnd", "拥塞窗口");
        add(h.peer_window.map(b), "peer window", "对方窗口");
        add(h.retrans.map(|n| n.to_string()), "retransmitted", "重传");
        if h.retrans.is_none() {
            add(h.retrans_bytes.map(human_bytes), "retransmitted", "重传");
        }
        add(h.unsent.map(b), "unsent", "未发出");
        add(h.unread.map(b), "unread", "未读");
        parts.join(" · ")
    }

    pub fn health_title(&self) -> &'static str {
        self.pick("RTT and windows", "往返时延与窗口")
    }

    pub fn health_unavailable(&self) -> &'static str {
        self.pick(
            "RTT and windows: not reported by this system",
            "往返时延与窗口：本系统不提供",
        )
    }

    pub fn ports_yes(&self) -> &'static str {
        self.pick("yes", "是")
    }

    pub fn ports_ours(&self) -> &'static str {
        self.pick("NetPal (this window)", "NetPal（本程序）")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::{JobEnd, JobTally};
    use std::time::Duration;

    /// A file handed to the system in a millisecond has a size and no rate:
    /// "1.4 MiB in 0.00 s, 1.4 MiB/s" said nothing true.
    #[test]
    fn a_job_too_quick_to_time_has_no_rate() {
        for lang in [Lang::En, Lang::Zh] {
            let tr = lang.tr();
            let quick = JobTally {
                items: 1,
                bytes: 1_500_000,
                elapsed: Duration::from_millis(1),
            };
            let text = tr.job_ended(&quick, false, &JobEnd::Done);
            assert!(!text.contains("/s") && !text.contains("/秒"), "{text}");
            assert!(text.contains("0.01"), "{text}");
            let timed = JobTally {
                elapsed: Duration::from_millis(1500),
                ..quick
            };
            let text = tr.job_ended(&timed, false, &JobEnd::Done);
            // 1,500,000 bytes in 1.5 s: 1,000,000 bytes a second.
            assert!(
                text.contains("1.50") && text.contains("976.6 KiB/"),
                "{text}"
            );
        }
    }
}
