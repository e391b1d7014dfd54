// Prints the reference HdrHistogram's getValueAtPercentile, for tests/java_reference.py.
// Reads lines of "<base64 compressed histogram> <percentile> <percentile> ..." on stdin and answers
// each with one line: the histogram's total count, then the value at each percentile.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.util.Base64;
import org.HdrHistogram.Histogram;

public class ValueAtPercentile {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, "US-ASCII"));
        String line;
        while ((line = in.readLine()) != null) {
            String[] fields = line.trim().split(" ");
            ByteBuffer buffer = ByteBuffer.wrap(Base64.getDecoder().decode(fields[0]));
            Histogram histogram = Histogram.decodeFromCompressedByteBuffer(buffer, 0);
            StringBuilder out = new StringBuilder().append(histogram.getTotalCount());
            for (int i = 1; i < fields.length; i++) {
                out.append(' ').append(histogram.getValueAtPercentile(Double.parseDouble(fields[i])));
            }
            System.out.println(out);
            System.out.flush();
        }
    }
}
