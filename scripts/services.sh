#!/usr/bin/env bash
# Local RabbitMQ and MariaDB for development, tests and the demo: started from the Debian
# packages' binaries, without systemd, listening on 127.0.0.1 only, with their data under
# the checkout (.local/, ignored by git).
#
#   scripts/services.sh start|stop|restart|status [rabbitmq|mariadb]...
#   scripts/services.sh env        # print export lines for the URLs of the running services
#
# Every port is configurable so that a second copy can run beside a first:
#   SVC_DIR (default <checkout>/.local/services), SVC_AMQP_PORT (5672), SVC_MGMT_PORT (15672),
#   SVC_DIST_PORT (25672), SVC_EPMD_PORT (4369), SVC_MYSQL_PORT (3306),
#   SVC_USER / SVC_PASSWORD (paypipe / paypipe): the account created in both servers.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=${SVC_DIR:-$root/.local/services}
case $dir in /*) ;; *) dir=$PWD/$dir ;; esac  # the servers run from other directories
amqp_port=${SVC_AMQP_PORT:-5672}
mgmt_port=${SVC_MGMT_PORT:-15672}
dist_port=${SVC_DIST_PORT:-25672}
epmd_port=${SVC_EPMD_PORT:-4369}
mysql_port=${SVC_MYSQL_PORT:-3306}
user=${SVC_USER:-paypipe}
password=${SVC_PASSWORD:-paypipe}

rmq_dir=$dir/rabbitmq-$amqp_port
db_dir=$dir/mariadb-$mysql_port
node=paypipe$amqp_port@localhost
db_socket=$db_dir/mysqld.sock

log() { printf '[services] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

# Waits until PID has exited; kills it after the grace period.
wait_exit() {
  local pid=$1 grace=$2 i
  for ((i = 0; i < grace * 10; i++)); do pid_alive "$pid" || return 0; sleep 0.1; done
  log "pid $pid still running after ${grace}s; sending SIGKILL"
  kill -9 "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do pid_alive "$pid" || return 0; sleep 0.1; done
  return 1
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# ---------------------------------------------------------------- RabbitMQ
rmq_env() {
  export HOME=$rmq_dir/home
  export RABBITMQ_NODENAME=$node
  export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
  export RABBITMQ_NODE_PORT=$amqp_port
  export RABBITMQ_DIST_PORT=$dist_port
  export ERL_EPMD_ADDRESS=127.0.0.1
  export ERL_EPMD_PORT=$epmd_port
  export RABBITMQ_MNESIA_BASE=$rmq_dir/mnesia
  export RABBITMQ_LOG_BASE=$rmq_dir/log
  export RABBITMQ_ENABLED_PLUGINS_FILE=$rmq_dir/enabled_plugins
  export RABBITMQ_CONFIG_FILE=$rmq_dir/rabbitmq.conf
  export RABBITMQ_PID_FILE=$rmq_dir/rabbitmq.pid
  # The distribution listener on loopback too, not on every interface.
  export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
  export RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
}

# The broker writes the Erlang VM's PID to rabbitmq.pid once it boots; until then the
# launcher's PID stands for it.
rmq_pid() {
  local f
  for f in "$rmq_dir/rabbitmq.pid" "$rmq_dir/launcher.pid"; do
    if [ -f "$f" ] && pid_alive "$(cat "$f" 2>/dev/null)"; then cat "$f"; return 0; fi
  done
}

rmq_ctl() { (rmq_env; /usr/lib/rabbitmq/bin/rabbitmqctl -n "$node" "$@"); }

rmq_start() {
  [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || die "rabbitmq-server is not installed (run scripts/setup.sh)"
  if pid_alive "$(rmq_pid)"; then log "rabbitmq already running (pid $(rmq_pid))"; return 0; fi
  port_free "$amqp_port" || die "port $amqp_port is taken by another process"
  mkdir -p "$rmq_dir/home" "$rmq_dir/mnesia" "$rmq_dir/log"
  echo '[rabbitmq_management].' >"$rmq_dir/enabled_plugins"
  cat >"$rmq_dir/rabbitmq.conf" <<EOF
listeners.tcp.default = 127.0.0.1:$amqp_port
management.tcp.ip = 127.0.0.1
management.tcp.port = $mgmt_port
disk_free_limit.absolute = 200MB
log.console = false
log.file.level = warning
EOF
  log "starting rabbitmq $node on 127.0.0.1:$amqp_port (management :$mgmt_port)"
  (
    rmq_env
    cd "$rmq_dir"
    setsid nohup /usr/lib/rabbitmq/bin/rabbitmq-server >"$rmq_dir/log/stdout.log" 2>&1 &
    echo $! >"$rmq_dir/launcher.pid"
  )
  # await_startup fails at once while the VM is still booting, so poll it.
  local i started=0
  for ((i = 0; i < 120; i++)); do
    if rmq_ctl await_startup --timeout 5 >/dev/null 2>&1; then started=1; break; fi
    pid_alive "$(rmq_pid)" || break
    sleep 0.5
  done
  if [ $started = 0 ]; then
    tail -n 30 "$rmq_dir/log/stdout.log" >&2 || true
    die "rabbitmq did not start"
  fi
  rmq_ctl add_user "$user" "$password" >/dev/null 2>&1 || rmq_ctl change_password "$user" "$password" >/dev/null
  rmq_ctl set_user_tags "$user" administrator >/dev/null
  rmq_ctl set_permissions -p / "$user" '.*' '.*' '.*' >/dev/null
  for ((i = 0; i < 300; i++)); do
    curl -fsS -u "$user:$password" "http://127.0.0.1:$mgmt_port/api/overview" >/dev/null 2>&1 && break
    sleep 0.2
  done
  log "rabbitmq ready"
}

rmq_stop() {
  local pid
  pid=$(rmq_pid)
  if ! pid_alive "$pid"; then log "rabbitmq not running"; rm -f "$rmq_dir/rabbitmq.pid" "$rmq_dir/launcher.pid"; return 0; fi
  log "stopping rabbitmq (pid $pid)"
  rmq_ctl stop >/dev/null 2>&1 || kill "$pid" 2>/dev/null || true
  wait_exit "$pid" 60
  rm -f "$rmq_dir/rabbitmq.pid" "$rmq_dir/launcher.pid"
  # epmd was started for this node; stop it unless another node still uses it.
  (rmq_env; if ! epmd -port "$epmd_port" -names 2>/dev/null | grep -q '^name '; then
     epmd -port "$epmd_port" -kill >/dev/null 2>&1 || true; fi)
}

rmq_status() {
  if pid_alive "$(rmq_pid)"; then echo "rabbitmq running pid=$(rmq_pid) amqp=127.0.0.1:$amqp_port management=127.0.0.1:$mgmt_port"; return 0; fi
  echo "rabbitmq stopped"; return 1
}

# ---------------------------------------------------------------- MariaDB
db_pid() { [ -f "$db_dir/mariadb.pid" ] && cat "$db_dir/mariadb.pid" 2>/dev/null || true; }

db_start() {
  command -v mariadbd >/dev/null || die "mariadb-server is not installed (run scripts/setup.sh)"
  if pid_alive "$(db_pid)"; then log "mariadb already running (pid $(db_pid))"; return 0; fi
  port_free "$mysql_port" || die "port $mysql_port is taken by another process"
  mkdir -p "$db_dir"
  if [ ! -d "$db_dir/data/mysql" ]; then
    log "initialising mariadb data directory"
    mariadb-install-db --no-defaults --user=root --datadir="$db_dir/data" \
      --auth-root-authentication-method=socket --skip-test-db >"$db_dir/install.log" 2>&1 \
      || { tail -n 20 "$db_dir/install.log" >&2; die "mariadb-install-db failed"; }
  fi
  log "starting mariadb on 127.0.0.1:$mysql_port"
  # Durable settings (flush at commit, binlog off), utf8mb4 for Korean text.
  setsid nohup mariadbd --no-defaults --user=root --datadir="$db_dir/data" --socket="$db_socket" \
    --port="$mysql_port" --bind-address=127.0.0.1 --pid-file="$db_dir/mariadb.pid" \
    --log-error="$db_dir/error.log" --skip-name-resolve --max-connections=1000 \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
    --innodb-flush-log-at-trx-commit=1 --innodb-buffer-pool-size=512M \
    --innodb-log-file-size=256M --max-allowed-packet=64M >"$db_dir/stdout.log" 2>&1 &
  local i
  for ((i = 0; i < 600; i++)); do
    mariadb-admin --no-defaults --socket="$db_socket" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  mariadb-admin --no-defaults --socket="$db_socket" ping >/dev/null 2>&1 \
    || { tail -n 30 "$db_dir/error.log" >&2; die "mariadb did not start"; }
  mariadb --no-defaults --socket="$db_socket" -u root <<EOF
CREATE USER IF NOT EXISTS '$user'@'127.0.0.1' IDENTIFIED BY '$password';
CREATE USER IF NOT EXISTS '$user'@'localhost' IDENTIFIED BY '$password';
ALTER USER '$user'@'127.0.0.1' IDENTIFIED BY '$password';
ALTER USER '$user'@'localhost' IDENTIFIED BY '$password';
GRANT ALL PRIVILEGES ON *.* TO '$user'@'127.0.0.1' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO '$user'@'localhost' WITH GRANT OPTION;
CREATE DATABASE IF NOT EXISTS paypipe CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
EOF
  log "mariadb ready"
}

db_stop() {
  local pid
  pid=$(db_pid)
  if ! pid_alive "$pid"; then log "mariadb not running"; return 0; fi
  log "stopping mariadb (pid $pid)"
  mariadb-admin --no-defaults --socket="$db_socket" shutdown >/dev/null 2>&1 || kill "$pid" 2>/dev/null || true
  wait_exit "$pid" 60
}

db_status() {
  if pid_alive "$(db_pid)"; then echo "mariadb running pid=$(db_pid) mysql=127.0.0.1:$mysql_port"; return 0; fi
  echo "mariadb stopped"; return 1
}

# ---------------------------------------------------------------- main
print_env() {
  cat <<EOF
export PAYPIPE_AMQP_URL='amqp://$user:$password@127.0.0.1:$amqp_port/'
export PAYPIPE_MYSQL_URL='mysql://$user:$password@127.0.0.1:$mysql_port/paypipe'
export TEST_AMQP_URL='amqp://$user:$password@127.0.0.1:$amqp_port/'
export TEST_RABBITMQ_API_URL='http://$user:$password@127.0.0.1:$mgmt_port'
export TEST_MYSQL_URL='mysql://$user:$password@127.0.0.1:$mysql_port/'
export TEST_SERVICES_SCRIPT='$root/scripts/services.sh'
export SVC_DIR='$dir' SVC_AMQP_PORT=$amqp_port SVC_MGMT_PORT=$mgmt_port SVC_DIST_PORT=$dist_port
export SVC_EPMD_PORT=$epmd_port SVC_MYSQL_PORT=$mysql_port
EOF
}

cmd=${1:-status}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(rabbitmq mariadb)
for t in "${targets[@]}"; do
  case $t in rabbitmq | mariadb) ;; *) die "unknown service '$t' (rabbitmq, mariadb)" ;; esac
done

rc=0
case $cmd in
  start) for t in "${targets[@]}"; do if [ "$t" = rabbitmq ]; then rmq_start; else db_start; fi; done ;;
  stop) for t in "${targets[@]}"; do if [ "$t" = rabbitmq ]; then rmq_stop; else db_stop; fi; done ;;
  restart)
    for t in "${targets[@]}"; do
      if [ "$t" = rabbitmq ]; then rmq_stop; rmq_start; else db_stop; db_start; fi
    done ;;
  status) for t in "${targets[@]}"; do if [ "$t" = rabbitmq ]; then rmq_status || rc=1; else db_status || rc=1; fi; done ;;
  env) print_env ;;
  *) die "usage: services.sh start|stop|restart|status|env [rabbitmq|mariadb]..." ;;
esac
exit $rc
