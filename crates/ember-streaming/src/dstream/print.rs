//! `print`: the first elements of every batch, in Spark's exact format.

use super::DStream;
use ember_core::Data;

/// How a record prints in `print()`: as Scala's `toString` would show it, so output matches
/// Spark's line for line (`(a,1)` for a pair, `Some(x)`/`None` for options).
///
/// ```
/// use ember_streaming::SparkDisplay;
/// assert_eq!(("a".to_string(), 1u64).spark_string(), "(a,1)");
/// assert_eq!(Some(2.0f64).spark_string(), "Some(2.0)");
/// assert_eq!(vec![1, 2].spark_string(), "CompactBuffer(1, 2)");
/// ```
pub trait SparkDisplay {
    /// The text `print()` shows for this record.
    fn spark_string(&self) -> String;
}

macro_rules! display_as_is {
    ($($t:ty),*) => {$(
        impl SparkDisplay for $t {
            fn spark_string(&self) -> String {
                self.to_string()
            }
        }
    )*};
}
display_as_is!(i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize, bool, char, String);

/// Scala prints whole doubles with a trailing `.0`, as Rust's `Debug` does.
macro_rules! display_float {
    ($($t:ty),*) => {$(
        impl SparkDisplay for $t {
            fn spark_string(&self) -> String {
                format!("{self:?}")
            }
        }
    )*};
}
display_float!(f32, f64);

impl SparkDisplay for () {
    fn spark_string(&self) -> String {
        "()".into()
    }
}

impl<T: SparkDisplay> SparkDisplay for Option<T> {
    fn spark_string(&self) -> String {
        match self {
            Some(x) => format!("Some({})", x.spark_string()),
            None => "None".into(),
        }
    }
}

/// Grouped values print as Spark's `CompactBuffer` (what `group_by_key` yields there).
impl<T: SparkDisplay> SparkDisplay for Vec<T> {
    fn spark_string(&self) -> String {
        format!("CompactBuffer({})", self.iter().map(SparkDisplay::spark_string).collect::<Vec<_>>().join(", "))
    }
}

macro_rules! display_tuple {
    ($($name:ident),+) => {
        impl<$($name: SparkDisplay),+> SparkDisplay for ($($name,)+) {
            #[allow(non_snake_case)]
            fn spark_string(&self) -> String {
                let ($($name,)+) = self;
                let parts: Vec<String> = vec![$($name.spark_string()),+];
                format!("({})", parts.join(","))
            }
        }
    };
}
display_tuple!(A, B);
display_tuple!(A, B, C);
display_tuple!(A, B, C, D);

/// The text `print_n` writes for one batch: a dashed header with the time, up to `n`
/// elements, `...` if there were more, and a blank line.
pub(crate) fn format_batch<T: SparkDisplay>(time: crate::Time, first: &[T], n: usize) -> String {
    let dashes = "-------------------------------------------";
    let mut out = format!("{dashes}\nTime: {time}\n{dashes}\n");
    for x in first.iter().take(n) {
        out.push_str(&x.spark_string());
        out.push('\n');
    }
    if first.len() > n {
        out.push_str("...\n");
    }
    out.push('\n');
    out
}

impl<T: Data + SparkDisplay> DStream<T> {
    /// Prints the first 10 elements of every batch (Spark's `print()`).
    #[track_caller]
    pub fn print(&self) {
        self.print_n(10);
    }

    /// Prints the first `n` elements of every batch to standard output, exactly as Spark:
    ///
    /// ```text
    /// -------------------------------------------
    /// Time: 1000 ms
    /// -------------------------------------------
    /// (a,2)
    /// ...
    ///
    /// ```
    #[track_caller]
    pub fn print_n(&self, n: usize) {
        self.register_output("print", move |rdd, time| -> ember_core::Result<()> {
            let first = rdd.take(n + 1)?;
            print!("{}", format_batch(time, &first, n));
            Ok(())
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_format_matches_spark_byte_for_byte() {
        let t = crate::Time::from_millis(2000);
        let header =
            "-------------------------------------------\nTime: 2000 ms\n-------------------------------------------\n";
        assert_eq!(format_batch::<u8>(t, &[], 10), format!("{header}\n"));
        assert_eq!(format_batch(t, &[1, 2], 10), format!("{header}1\n2\n\n"));
        assert_eq!(format_batch(t, &[1, 2, 3], 2), format!("{header}1\n2\n...\n\n"));
        let pairs = [("a".to_string(), (Some(1), None::<char>))];
        assert_eq!(format_batch(t, &pairs, 10), format!("{header}(a,(Some(1),None))\n\n"));
    }
}
