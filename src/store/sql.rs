//! The two databases the store talks to, behind one small interface, so that every query of
//! the store is written once.
//!
//! Statements are written in one SQL text that both understand: SQLite's numbered parameters
//! (`?1`), `utc_now()` for the database's clock as UTC text, `ON CONFLICT ... DO UPDATE` for
//! upserts, `RETURNING` for new ids. [`Dialect::translate`] turns that text into each
//! database's own. Parameters and columns travel as [`Value`]s, so callers never see either
//! driver's types.
//!
//! We wrote this layer rather than take an ORM or `sqlx`'s `Any` driver: the store is about
//! thirty statements, both drivers (rusqlite, postgres) are the well-kept synchronous ones, and
//! the rules that matter (who locks what, when) are easier to read here than behind a
//! query builder.

use std::borrow::Cow;
use std::cell::RefCell;
use std::error::Error;

use bytes::BytesMut;
use postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use rusqlite::TransactionBehavior;

use super::{StoreError, SweepId, TrialId};

/// A parameter or a column: the four kinds of value the schema holds.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// An integer (every integer column is 64-bit).
    Int(i64),
    /// A floating-point number.
    Real(f64),
    /// Text (timestamps and JSON included).
    Text(String),
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(v)
    }
}

impl From<usize> for Value {
    fn from(v: usize) -> Value {
        Value::Int(v as i64)
    }
}

impl From<u32> for Value {
    fn from(v: u32) -> Value {
        Value::Int(i64::from(v))
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Value {
        Value::Real(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_string())
    }
}

impl From<&String> for Value {
    fn from(v: &String) -> Value {
        Value::Text(v.clone())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Text(v)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

/// The parameters of a statement, from anything that converts to a [`Value`].
macro_rules! params {
    ($($value:expr),* $(,)?) => {
        &[$($crate::store::sql::Value::from($value)),*] as &[$crate::store::sql::Value]
    };
}
pub(super) use params;

/// One result row.
#[derive(Clone, Debug)]
pub struct Row(Vec<Value>);

impl Row {
    /// A row of these values.
    pub fn new(values: Vec<Value>) -> Row {
        Row(values)
    }

    /// Its values, in column order.
    pub fn into_values(self) -> Vec<Value> {
        self.0
    }

    fn value(&self, column: usize) -> Result<&Value, StoreError> {
        self.0
            .get(column)
            .ok_or_else(|| corrupt(column, "no such column"))
    }

    /// An integer column that may be NULL.
    pub fn opt_int(&self, column: usize) -> Result<Option<i64>, StoreError> {
        match self.value(column)? {
            Value::Null => Ok(None),
            Value::Int(v) => Ok(Some(*v)),
            other => Err(corrupt(
                column,
                &format!("expected an integer, found {other:?}"),
            )),
        }
    }

    /// An integer column.
    pub fn int(&self, column: usize) -> Result<i64, StoreError> {
        self.opt_int(column)?
            .ok_or_else(|| corrupt(column, "expected an integer, found NULL"))
    }

    /// A count or other non-negative integer.
    pub fn count(&self, column: usize) -> Result<usize, StoreError> {
        Ok(self.int(column)?.max(0) as usize)
    }

    /// A non-negative integer that may be NULL.
    pub fn opt_count(&self, column: usize) -> Result<Option<usize>, StoreError> {
        Ok(self.opt_int(column)?.map(|n| n.max(0) as usize))
    }

    /// A floating-point column that may be NULL (an integer is widened).
    pub fn opt_real(&self, column: usize) -> Result<Option<f64>, StoreError> {
        match self.value(column)? {
            Value::Null => Ok(None),
            Value::Real(v) => Ok(Some(*v)),
            Value::Int(v) => Ok(Some(*v as f64)),
            other => Err(corrupt(
                column,
                &format!("expected a number, found {other:?}"),
            )),
        }
    }

    /// A metric column: NULL (how a NaN is stored) comes back as NaN.
    pub fn real_or_nan(&self, column: usize) -> Result<f64, StoreError> {
        Ok(self.opt_real(column)?.unwrap_or(f64::NAN))
    }

    /// A text column that may be NULL.
    pub fn opt_text(&self, column: usize) -> Result<Option<String>, StoreError> {
        match self.value(column)? {
            Value::Null => Ok(None),
            Value::Text(v) => Ok(Some(v.clone())),
            other => Err(corrupt(column, &format!("expected text, found {other:?}"))),
        }
    }

    /// A text column.
    pub fn text(&self, column: usize) -> Result<String, StoreError> {
        self.opt_text(column)?
            .ok_or_else(|| corrupt(column, "expected text, found NULL"))
    }

    /// A text column read through `parse`; a value it rejects is a corrupt row.
    pub fn parsed<T>(
        &self,
        column: usize,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<T, StoreError> {
        let text = self.text(column)?;
        parse(&text).ok_or_else(|| corrupt(column, &format!("unexpected value `{text}`")))
    }
}

fn corrupt(column: usize, message: &str) -> StoreError {
    StoreError::Corrupt {
        column,
        message: message.to_string(),
    }
}

/// Which database a statement is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// The embedded default.
    Sqlite,
    /// A shared server.
    Postgres,
}

/// The database clock as UTC text with milliseconds (2026-11-27T18:30:57.123Z), in SQLite.
const SQLITE_NOW: &str = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";
/// The same in PostgreSQL (`clock_timestamp`, not `now`, which stops at the transaction's start).
const POSTGRES_NOW: &str =
    "to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";

impl Dialect {
    /// The statement in this database's own SQL: `utc_now()` becomes its clock, and for
    /// PostgreSQL `?N` becomes `$N`. The store's statements hold no `?` or `utc_now()` inside
    /// string literals, which is what makes this plain substitution safe.
    pub fn translate(self, sql: &str) -> Cow<'_, str> {
        match self {
            Dialect::Sqlite if sql.contains("utc_now()") => {
                Cow::Owned(sql.replace("utc_now()", SQLITE_NOW))
            }
            Dialect::Sqlite => Cow::Borrowed(sql),
            Dialect::Postgres => {
                Cow::Owned(sql.replace("utc_now()", POSTGRES_NOW).replace('?', "$"))
            }
        }
    }

    /// An expression for the database clock `seconds` (the parameter `?N` named by
    /// `parameter`, a number) ago, as UTC text comparable with the stored times.
    pub fn seconds_ago(self, parameter: &str) -> String {
        match self {
            Dialect::Sqlite => {
                format!("strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-' || {parameter} || ' seconds')")
            }
            Dialect::Postgres => format!(
                "to_char((clock_timestamp() - CAST({parameter} AS DOUBLE PRECISION) \
                 * INTERVAL '1 second') AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
            ),
        }
    }
}

/// What a write transaction must hold while it runs, beyond its own rows.
#[derive(Clone, Copy, Debug)]
pub enum Lock {
    /// Nothing more: its statements touch rows no other writer decides on.
    Rows,
    /// A sweep: claims, draws and rung decisions read the sweep's other trials and must see
    /// every other worker's writes, so writers of one sweep take turns.
    Sweep(SweepId),
    /// The sweep of a trial.
    SweepOf(TrialId),
    /// The whole database (creating a sweep, migrating).
    Database,
}

/// Key of the PostgreSQL advisory lock that serializes sweep creation and migrations.
const DATABASE_LOCK: i64 = 0x5357_4545_5000;

/// An open connection.
pub enum Conn {
    /// A SQLite file (or memory).
    Sqlite(rusqlite::Connection),
    /// A PostgreSQL server. The client needs `&mut` for every query; reads of the store take
    /// `&self`, so it sits in a `RefCell` (a store is used by one thread at a time).
    Postgres(RefCell<postgres::Client>),
}

/// A write transaction: committed by [`Tx::commit`], rolled back when dropped.
pub enum Tx<'a> {
    /// SQLite: `BEGIN IMMEDIATE`, which holds the file's write lock for its whole length.
    Sqlite(rusqlite::Transaction<'a>),
    /// PostgreSQL: `READ COMMITTED`, with the row lock its [`Lock`] asked for.
    Postgres(RefCell<postgres::Transaction<'a>>),
}

/// Statements, on a connection or inside a transaction.
pub trait Sql {
    /// Which database this is.
    fn dialect(&self) -> Dialect;

    /// Run a statement; the number of rows it changed.
    fn execute(&self, sql: &str, params: &[Value]) -> Result<usize, StoreError>;

    /// Run a query; all its rows.
    fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError>;

    /// Run a query; its first row, if any.
    fn query_opt(&self, sql: &str, params: &[Value]) -> Result<Option<Row>, StoreError> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    /// Run a query that returns a row.
    fn query_one(&self, sql: &str, params: &[Value]) -> Result<Row, StoreError> {
        self.query_opt(sql, params)?
            .ok_or_else(|| corrupt(0, "a query that returns one row returned none"))
    }
}

impl Sql for Conn {
    fn dialect(&self) -> Dialect {
        match self {
            Conn::Sqlite(_) => Dialect::Sqlite,
            Conn::Postgres(_) => Dialect::Postgres,
        }
    }

    fn execute(&self, sql: &str, params: &[Value]) -> Result<usize, StoreError> {
        let sql = self.dialect().translate(sql);
        match self {
            Conn::Sqlite(conn) => sqlite_execute(conn, &sql, params),
            Conn::Postgres(client) => postgres_execute(&mut *client.borrow_mut(), &sql, params),
        }
    }

    fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        let sql = self.dialect().translate(sql);
        match self {
            Conn::Sqlite(conn) => sqlite_query(conn, &sql, params),
            Conn::Postgres(client) => postgres_query(&mut *client.borrow_mut(), &sql, params),
        }
    }
}

impl Sql for Tx<'_> {
    fn dialect(&self) -> Dialect {
        match self {
            Tx::Sqlite(_) => Dialect::Sqlite,
            Tx::Postgres(_) => Dialect::Postgres,
        }
    }

    fn execute(&self, sql: &str, params: &[Value]) -> Result<usize, StoreError> {
        let sql = self.dialect().translate(sql);
        match self {
            Tx::Sqlite(tx) => sqlite_execute(tx, &sql, params),
            Tx::Postgres(tx) => postgres_execute(&mut *tx.borrow_mut(), &sql, params),
        }
    }

    fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        let sql = self.dialect().translate(sql);
        match self {
            Tx::Sqlite(tx) => sqlite_query(tx, &sql, params),
            Tx::Postgres(tx) => postgres_query(&mut *tx.borrow_mut(), &sql, params),
        }
    }
}

impl Conn {
    /// Begin a write transaction holding `lock`.
    pub fn transaction(&mut self, lock: Lock) -> Result<Tx<'_>, StoreError> {
        match self {
            // BEGIN IMMEDIATE takes the file's one write lock: every lock at once.
            Conn::Sqlite(conn) => Ok(Tx::Sqlite(
                conn.transaction_with_behavior(TransactionBehavior::Immediate)?,
            )),
            Conn::Postgres(client) => {
                let tx = Tx::Postgres(RefCell::new(client.get_mut().transaction()?));
                take_lock(&tx, lock)?;
                Ok(tx)
            }
        }
    }
}

/// PostgreSQL: lock what `lock` names for the rest of the transaction. `FOR NO KEY UPDATE`
/// makes writers of one sweep take turns without blocking the foreign-key checks of rows
/// that merely point at the sweep.
fn take_lock(tx: &Tx, lock: Lock) -> Result<(), StoreError> {
    match lock {
        Lock::Rows => {}
        Lock::Sweep(sweep) => {
            tx.query(
                "SELECT id FROM sweeps WHERE id = ?1 FOR NO KEY UPDATE",
                params![sweep.0],
            )?;
        }
        Lock::SweepOf(trial) => {
            tx.query(
                "SELECT s.id FROM sweeps s JOIN trials t ON t.sweep_id = s.id WHERE t.id = ?1
                 FOR NO KEY UPDATE OF s",
                params![trial.0],
            )?;
        }
        Lock::Database => {
            tx.query("SELECT pg_advisory_xact_lock(?1)", params![DATABASE_LOCK])?;
        }
    }
    Ok(())
}

impl Tx<'_> {
    /// Run several statements (a migration) as they are: no parameters, no translation.
    pub fn batch(&self, sql: &str) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(tx) => Ok(tx.execute_batch(sql)?),
            Tx::Postgres(tx) => Ok(tx.borrow_mut().batch_execute(sql)?),
        }
    }

    /// Make the transaction's writes permanent.
    pub fn commit(self) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(tx) => Ok(tx.commit()?),
            Tx::Postgres(tx) => Ok(tx.into_inner().commit()?),
        }
    }
}

fn sqlite_execute(
    conn: &rusqlite::Connection,
    sql: &str,
    params: &[Value],
) -> Result<usize, StoreError> {
    let mut statement = conn.prepare_cached(sql)?;
    Ok(statement.execute(rusqlite::params_from_iter(params))?)
}

fn sqlite_query(
    conn: &rusqlite::Connection,
    sql: &str,
    params: &[Value],
) -> Result<Vec<Row>, StoreError> {
    let mut statement = conn.prepare_cached(sql)?;
    let columns = statement.column_count();
    let mut rows = statement.query(rusqlite::params_from_iter(params))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let values = (0..columns)
            .map(|i| {
                Ok(match row.get_ref(i)? {
                    rusqlite::types::ValueRef::Null => Value::Null,
                    rusqlite::types::ValueRef::Integer(v) => Value::Int(v),
                    rusqlite::types::ValueRef::Real(v) => Value::Real(v),
                    rusqlite::types::ValueRef::Text(v) => {
                        Value::Text(String::from_utf8_lossy(v).into_owned())
                    }
                    rusqlite::types::ValueRef::Blob(_) => {
                        return Err(corrupt(i, "unexpected binary value"));
                    }
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        out.push(Row(values));
    }
    Ok(out)
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(match self {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Int(v) => ToSqlOutput::Borrowed(ValueRef::Integer(*v)),
            Value::Real(v) => ToSqlOutput::Borrowed(ValueRef::Real(*v)),
            Value::Text(v) => ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes())),
        })
    }
}

/// Anything `postgres` can take as a parameter.
type PgParam<'a> = &'a (dyn ToSql + Sync);

fn postgres_params(params: &[Value]) -> Vec<PgParam<'_>> {
    params.iter().map(|p| p as PgParam).collect()
}

fn postgres_execute(
    client: &mut impl postgres::GenericClient,
    sql: &str,
    params: &[Value],
) -> Result<usize, StoreError> {
    Ok(client.execute(sql, &postgres_params(params))? as usize)
}

fn postgres_query(
    client: &mut impl postgres::GenericClient,
    sql: &str,
    params: &[Value],
) -> Result<Vec<Row>, StoreError> {
    let rows = client.query(sql, &postgres_params(params))?;
    rows.iter().map(postgres_row).collect()
}

/// A PostgreSQL row as [`Value`]s, by each column's type.
fn postgres_row(row: &postgres::Row) -> Result<Row, StoreError> {
    let values = row
        .columns()
        .iter()
        .enumerate()
        .map(|(i, column)| {
            let ty = column.type_();
            Ok(if *ty == Type::INT8 {
                row.try_get::<_, Option<i64>>(i)?.into()
            } else if *ty == Type::INT4 {
                row.try_get::<_, Option<i32>>(i)?.map(i64::from).into()
            } else if *ty == Type::INT2 {
                row.try_get::<_, Option<i16>>(i)?.map(i64::from).into()
            } else if *ty == Type::FLOAT8 {
                row.try_get::<_, Option<f64>>(i)?.into()
            } else if *ty == Type::FLOAT4 {
                row.try_get::<_, Option<f32>>(i)?.map(f64::from).into()
            } else if *ty == Type::BOOL {
                row.try_get::<_, Option<bool>>(i)?.map(i64::from).into()
            } else if *ty == Type::VOID {
                Value::Null
            } else {
                row.try_get::<_, Option<String>>(i)?.into()
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(Row(values))
}

impl ToSql for Value {
    /// Each value as the column type the server asks for: an integer may go to an integer,
    /// floating-point or text column; text is sent as text.
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(v) if *ty == Type::INT4 => i32::try_from(*v)?.to_sql(ty, out),
            Value::Int(v) if *ty == Type::INT2 => i16::try_from(*v)?.to_sql(ty, out),
            Value::Int(v) if *ty == Type::FLOAT8 => (*v as f64).to_sql(ty, out),
            Value::Int(v) if *ty == Type::TEXT => v.to_string().to_sql(ty, out),
            Value::Int(v) => v.to_sql(ty, out),
            Value::Real(v) if *ty == Type::FLOAT4 => (*v as f32).to_sql(ty, out),
            Value::Real(v) => v.to_sql(ty, out),
            Value::Text(v) => v.to_sql(ty, out),
        }
    }

    fn accepts(ty: &Type) -> bool {
        [
            Type::INT8,
            Type::INT4,
            Type::INT2,
            Type::FLOAT8,
            Type::FLOAT4,
            Type::TEXT,
            Type::VARCHAR,
        ]
        .contains(ty)
    }

    to_sql_checked!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_statements_get_dollar_parameters_and_its_clock() {
        let sql = "UPDATE trials SET heartbeat_at = utc_now() WHERE id = ?1 AND pid = ?12";
        assert_eq!(
            Dialect::Postgres.translate(sql),
            format!("UPDATE trials SET heartbeat_at = {POSTGRES_NOW} WHERE id = $1 AND pid = $12")
        );
        assert_eq!(
            Dialect::Sqlite.translate(sql),
            format!("UPDATE trials SET heartbeat_at = {SQLITE_NOW} WHERE id = ?1 AND pid = ?12")
        );
    }

    #[test]
    fn rows_read_back_what_was_bound() {
        let conn = Conn::Sqlite(rusqlite::Connection::open_in_memory().expect("memory"));
        let row = conn
            .query_one(
                "SELECT ?1, ?2, ?3, ?4",
                params![7i64, 0.5, "text", None::<i64>],
            )
            .expect("row");
        assert_eq!(row.int(0).expect("int"), 7);
        assert_eq!(row.opt_real(1).expect("real"), Some(0.5));
        assert_eq!(row.text(2).expect("text"), "text");
        assert_eq!(row.opt_int(3).expect("null"), None);
        assert!(row.real_or_nan(3).expect("nan").is_nan());
        assert!(row.text(0).is_err(), "an integer is not text");
    }
}
